"""Istio service mesh components for Pulumi.

``IstioControlPlane`` installs Istio from its Helm charts, ``MeshNamespace``
prepares an application namespace, and ``MeshService`` puts one microservice on
the mesh. Their arguments are plain TypedDicts, validated with every problem
reported at once (``ArgsError``) before anything is registered.

The spec builders (``control_plane_spec``, ``mesh_namespace_spec``,
``mesh_service_spec``) return, as plain data, exactly what each component
registers; a program that analyses or renders a spec registers that same spec
with the component's ``of_spec``.
"""

from istio_mesh.args import (
    AutoscalingArgs,
    CallerArgs,
    ConnectionPoolArgs,
    DataPlane,
    DestinationArgs,
    ExposeArgs,
    ExternalHostArgs,
    ExternalProtocol,
    FaultArgs,
    GatewayApiArgs,
    GatewayApiChannel,
    GatewayArgs,
    GatewayServiceType,
    IstioControlPlaneArgs,
    IstiodArgs,
    JwtArgs,
    LoadBalancer,
    MatchArgs,
    MeshNamespaceArgs,
    MeshServiceArgs,
    MirrorArgs,
    MtlsMode,
    OutboundTrafficPolicy,
    OutlierDetectionArgs,
    PortArgs,
    Protocol,
    ProxyArgs,
    ResourcesArgs,
    RetryArgs,
    RevisionArgs,
    RouteArgs,
    StringMatchArgs,
    TracingArgs,
    TracingProvider,
    TrafficApi,
    TrafficPolicyArgs,
    VersionArgs,
)
from istio_mesh.control_plane import IstioControlPlane
from istio_mesh.control_plane_spec import ControlPlaneSpec, ReleaseSpec, control_plane_spec, injection_labels
from istio_mesh.mesh_namespace import MeshNamespace
from istio_mesh.mesh_service import MeshService
from istio_mesh.namespace_spec import NamespaceSpec, mesh_namespace_spec
from istio_mesh.registration import child_name, pulumi_type
from istio_mesh.security_spec import principal
from istio_mesh.service_spec import ServiceSpec, mesh_service_spec, service_host
from istio_mesh.validation import ArgsError, Problem

__version__ = "0.2.0"

__all__ = [
    "ArgsError",
    "AutoscalingArgs",
    "CallerArgs",
    "ConnectionPoolArgs",
    "ControlPlaneSpec",
    "DataPlane",
    "DestinationArgs",
    "ExposeArgs",
    "ExternalHostArgs",
    "ExternalProtocol",
    "FaultArgs",
    "GatewayApiArgs",
    "GatewayApiChannel",
    "GatewayArgs",
    "GatewayServiceType",
    "IstioControlPlane",
    "IstioControlPlaneArgs",
    "IstiodArgs",
    "JwtArgs",
    "LoadBalancer",
    "MatchArgs",
    "MeshNamespace",
    "MeshNamespaceArgs",
    "MeshService",
    "MeshServiceArgs",
    "MirrorArgs",
    "MtlsMode",
    "NamespaceSpec",
    "OutboundTrafficPolicy",
    "OutlierDetectionArgs",
    "PortArgs",
    "Problem",
    "Protocol",
    "ProxyArgs",
    "ReleaseSpec",
    "ResourcesArgs",
    "RetryArgs",
    "RevisionArgs",
    "RouteArgs",
    "ServiceSpec",
    "StringMatchArgs",
    "TracingArgs",
    "TracingProvider",
    "TrafficApi",
    "TrafficPolicyArgs",
    "VersionArgs",
    "child_name",
    "control_plane_spec",
    "injection_labels",
    "mesh_namespace_spec",
    "mesh_service_spec",
    "principal",
    "pulumi_type",
    "service_host",
]

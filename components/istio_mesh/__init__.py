"""Istio service mesh components for Pulumi.

``IstioControlPlane`` installs Istio from its Helm charts, ``MeshNamespace``
prepares an application namespace, and ``MeshService`` puts one microservice on
the mesh. Their arguments are plain TypedDicts, validated with every problem
reported at once (``ArgsError``) before anything is registered.
"""

from istio_mesh.args import (
    AutoscalingArgs,
    CallerArgs,
    ConnectionPoolArgs,
    DestinationArgs,
    ExposeArgs,
    ExternalHostArgs,
    ExternalProtocol,
    FaultArgs,
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
    TrafficPolicyArgs,
    VersionArgs,
)
from istio_mesh.control_plane import IstioControlPlane
from istio_mesh.mesh_namespace import MeshNamespace
from istio_mesh.mesh_service import MeshService
from istio_mesh.validation import ArgsError, Problem

__version__ = "0.2.0"

__all__ = [
    "ArgsError",
    "AutoscalingArgs",
    "CallerArgs",
    "ConnectionPoolArgs",
    "DestinationArgs",
    "ExposeArgs",
    "ExternalHostArgs",
    "ExternalProtocol",
    "FaultArgs",
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
    "OutboundTrafficPolicy",
    "OutlierDetectionArgs",
    "PortArgs",
    "Problem",
    "Protocol",
    "ProxyArgs",
    "ResourcesArgs",
    "RetryArgs",
    "RevisionArgs",
    "RouteArgs",
    "StringMatchArgs",
    "TracingArgs",
    "TracingProvider",
    "TrafficPolicyArgs",
    "VersionArgs",
]

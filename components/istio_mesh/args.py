"""Input types of the components.

Every type here is a TypedDict of plain values, own nested TypedDicts and ``str``
Enums, so that Pulumi's component analyzer can derive a multi-language schema from
it, and so that a stack's YAML config maps onto it key for key. Each field's
docstring states its default and why; the defaults themselves live in
``istio_mesh.defaults``.
"""

# No `from __future__ import annotations` here: the component analyzer needs
# real annotations, not strings.
from typing import Any, NotRequired, TypedDict, TypeVar

import pulumi_kubernetes as k8s
from pulumi import Input, Output

from istio_mesh.args_common import (
    DataPlane,
    ExternalHostArgs,
    ExternalProtocol,
    GatewayApiChannel,
    GatewayServiceType,
    LoadBalancer,
    MtlsMode,
    OutboundTrafficPolicy,
    Protocol,
    ResourcesArgs,
    RetryArgs,
    TracingProvider,
    TrafficApi,
)
from istio_mesh.service_args import (
    AutoscalingArgs,
    CallerArgs,
    ConnectionPoolArgs,
    DestinationArgs,
    ExposeArgs,
    FaultArgs,
    JwtArgs,
    MatchArgs,
    MeshServiceArgs,
    MirrorArgs,
    OutlierDetectionArgs,
    PortArgs,
    ProxyArgs,
    RouteArgs,
    StringMatchArgs,
    TrafficPolicyArgs,
    VersionArgs,
)

# `pulumi.Input[X]` holds the forward reference "Output[T]": with these two names
# here, `typing.get_type_hints` resolves it, so validation can read the types back.
T = TypeVar("T")
__all__ = [
    "AutoscalingArgs",
    "CallerArgs",
    "ConnectionPoolArgs",
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
    "IstioControlPlaneArgs",
    "IstiodArgs",
    "JwtArgs",
    "LoadBalancer",
    "MatchArgs",
    "MeshNamespaceArgs",
    "MeshServiceArgs",
    "MirrorArgs",
    "MtlsMode",
    "OutboundTrafficPolicy",
    "OutlierDetectionArgs",
    "Output",
    "PortArgs",
    "Protocol",
    "ProxyArgs",
    "ResourcesArgs",
    "RetryArgs",
    "RevisionArgs",
    "RouteArgs",
    "StringMatchArgs",
    "T",
    "TracingArgs",
    "TracingProvider",
    "TrafficApi",
    "TrafficPolicyArgs",
    "VersionArgs",
]


class GatewayApiArgs(TypedDict, total=False):
    """The Kubernetes Gateway API CRDs that `gateway-api` routes and ambient waypoints
    need."""

    version: str
    """Gateway API release, such as "v1.5.1": installed with `install_crds`, else the
    version the cluster already has (check verifies it is one Istio supports).
    Default: "v1.5.1", the release Istio 1.30 is built against."""
    channel: GatewayApiChannel
    """Release channel of the CRDs: installed with `install_crds`, else the one the
    cluster already has. `experimental` lets HTTPRoutes carry per-route retries
    (`retry`), which the standard channel lacks; it is read with `traffic_api:
    gateway-api` or `install_crds`. Default: standard, the stable API that
    platform teams install, so that no experimental field is relied on unasked.
    Moving a cluster from standard to experimental: the Gateway API's own
    `safe-upgrades` admission policy refuses it until it is deleted."""
    install_crds: bool
    """Install the CRDs of `version` and `channel` before istiod (which watches
    them) and before any route. Default: false, as CRDs are cluster-wide and often
    owned by the platform team; set it where the stack owns the cluster."""
    crds_file: str
    """URL or local path of the install manifest of `channel`, for air-gapped
    clusters or a vendored copy. Default: the release asset on GitHub,
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/<version>/<channel>-install.yaml"."""


class TracingArgs(TypedDict):
    """A tracing provider: an `extensionProviders` entry in istiod's mesh config,
    named by the mesh-wide Telemetry."""

    provider: TracingProvider
    """Protocol of the collector."""
    service: str
    """Host of the collector, such as "otel-collector.observability.svc.cluster.local":
    a Service's fully qualified name or a ServiceEntry host. Proxies' Sidecars are
    opened to it."""
    port: NotRequired[int]
    """Port of the collector. Default: 4317 for OpenTelemetry (OTLP/gRPC), 9411 for
    Zipkin, their conventional ports."""


class RevisionArgs(TypedDict):
    """One istiod revision: its own Helm release `istiod-<name>` at its own version."""

    name: str
    """Revision name, a DNS label such as "1-30-5": the suffix of istiod's
    Deployment, Service and webhooks."""
    version: NotRequired[str]
    """istiod chart version of this revision. Default: the control plane's
    `version`, which must not be older (base carries the CRDs of every revision)."""


class IstiodArgs(TypedDict, total=False):
    """Settings of istiod, Istio's control plane."""

    replicas: int
    """Number of istiod pods. Default: 1. Use 2 or more in production so that
    injection and configuration survive a node loss."""
    resources: ResourcesArgs
    """istiod's CPU and memory. Default: requests 500m/2Gi, limits 1/4Gi, the
    chart's own request sizes."""
    autoscale_max: int
    """When set, istiod scales between `replicas` and this many pods on CPU.
    Default: unset (a fixed replica count)."""


class GatewayArgs(TypedDict, total=False):
    """An ingress gateway: the `gateway` chart and a Gateway resource bound to it."""

    namespace: str
    """Namespace of the gateway pods. Default: "istio-ingress", apart from
    istiod so that its access rights stay narrow."""
    service_type: GatewayServiceType
    """Kubernetes Service type. Default: LoadBalancer. Use ClusterIP or NodePort
    where the cluster has no load balancer, or `pulumi up` waits for an address."""
    replicas: int
    """Number of gateway pods. Default: 1."""
    hosts: list[Input[str]]
    """Host names the Gateway accepts (an Output too, such as a name in a DNS zone
    another resource makes: checked by Istio's webhook once known). Default: ["*"]."""
    tls_credential_name: str
    """Name of a Kubernetes TLS secret in the gateway namespace. When set, the
    Gateway serves HTTPS on 443 with it and redirects port 80. Default: unset
    (HTTP only)."""
    revision: str
    """Revision tag or revision whose istiod injects the gateway pods. Default: the
    control plane's `revision`; required with `revisions`. Moving it (or the tag it
    names) restarts the gateway pods."""
    values: dict[str, Any]
    """Helm values deep-merged over the ones derived from the fields above. The
    gateway's service account and `istio` label are read from the merged values,
    so the Gateway resource and the entry service's policy follow them."""


class IstioControlPlaneArgs(TypedDict, total=False):
    """Inputs of IstioControlPlane. Every field is optional."""

    version: str
    """Istio chart version of base, the gateway and (without `revisions`) istiod.
    Default: "1.30.5", the newest known patch (1.30.4 fixed Envoy CVEs and
    AuthorizationPolicy bypasses). Changing it upgrades in place; workloads restart
    after istiod to pick up the new proxy."""
    repository: str
    """Chart repository: an https URL or an `oci://` registry. Default:
    "https://istio-release.storage.googleapis.com/charts", Istio's official one."""
    namespace: str
    """Namespace of istiod and the base release, created by the component.
    Default: "istio-system"."""
    revision: str
    """Revision of the single istiod release (in-place upgrades). Default: "" (the
    default revision, selected by the `istio-injection=enabled` namespace label).
    Changing it on a running stack replaces istiod in one step: use `revisions`
    for a canary upgrade instead. Not with `revisions`."""
    revisions: list[RevisionArgs]
    """istiod revisions side by side, for canary upgrades: a release `istiod-<name>`
    each, upgraded in list order (oldest first), so that a tag moves down the list
    in one `pulumi up`. The first is the default revision: it validates Istio
    resources. At most one minor version apart. Default: unset (one istiod,
    see `revision`)."""
    tags: dict[str, str]
    """Revision tags: tag name to the revision it points at. Namespaces and the
    gateway select a tag; moving it moves them, and restarts their pods. The
    istiod chart of the revision renders the tag's injection webhook. Default:
    none."""
    istiod: IstiodArgs
    """istiod's size. Default: one pod with the chart's resources."""
    access_log: bool
    """Write Envoy access logs to stdout. Default: true."""
    outbound_traffic_policy: OutboundTrafficPolicy
    """What proxies do with traffic to unknown hosts. Default: ALLOW_ANY."""
    mtls_mode: MtlsMode
    """Mesh-wide PeerAuthentication mode. Default: STRICT, so no workload
    accepts plain text unless a stack asks for PERMISSIVE."""
    tracing_sampling_percent: float
    """Share of requests traced, 0 to 100. Default: 1 with `tracing`; without
    `tracing` no trace is taken, and a value above 0 is refused (Istio would
    silently trace nothing)."""
    tracing: TracingArgs
    """Where traces go. Default: unset (no tracing: Istio ships no default tracing
    provider). Prometheus metrics are unaffected either way."""
    trust_domain: str
    """SPIFFE trust domain of workload identities. Default: "cluster.local",
    Istio's default."""
    cluster_domain: str
    """DNS domain of the cluster's Services. Default: "cluster.local",
    Kubernetes' default."""
    jwks_blocked_cidrs: list[str]
    """Address ranges istiod refuses to fetch JWKS from (its
    BLOCKED_CIDRS_IN_JWKS_URIS), so that a RequestAuthentication cannot make it
    call internal services. Default: the private, loopback, link-local (cloud
    metadata) and shared address ranges of IPv4 and IPv6; [] turns it off."""
    gateway: GatewayArgs
    """An ingress gateway. Default: unset (no gateway)."""
    timeout_seconds: int
    """How long each Helm release may take to become ready. Default: 600."""
    protect: bool
    """Protect the releases from deletion, and keep the mesh-wide policies in the
    cluster when the stack lets go of them. Default: false; set it in production.
    Releases are never retained on delete: a destroy uninstalls them (the CRDs
    stay by the base chart's own resource policy)."""
    traffic_api: TrafficApi
    """The API routes compile to: `istio` (VirtualService) or `gateway-api`
    (HTTPRoute, GRPCRoute; the ingress gateway becomes a Gateway API Gateway).
    Default: istio, today's output."""
    data_plane: DataPlane
    """`sidecar` or `ambient` (base, istiod with the ambient profile, cni and ztunnel;
    namespaces labelled for ambient; waypoints where L7 is needed). Default: sidecar."""
    gateway_api: GatewayApiArgs
    """The Gateway API CRDs: installed or verified. Default: version v1.5.1, standard
    channel, not installed (the cluster is expected to have them with `gateway-api`
    or ambient)."""
    default_retries: RetryArgs
    """The mesh-wide retry policy (meshConfig `defaultHttpRetryPolicy`) of routes that
    carry none: every HTTPRoute on the standard channel, which has no retry field;
    on the experimental channel, those whose service and route set no `retries`.
    Set with `traffic_api: gateway-api` only. Default: the routes' own defaults (2
    attempts, 2s per try, Istio's retry conditions)."""
    base_values: dict[str, Any]
    """Helm values deep-merged over the `base` chart's derived values."""
    istiod_values: dict[str, Any]
    """Helm values deep-merged over the `istiod` chart's derived values."""
    cni_values: dict[str, Any]
    """Helm values deep-merged over the `cni` chart's derived values (ambient only).
    Default: {} (the ambient profile)."""
    ztunnel_values: dict[str, Any]
    """Helm values deep-merged over the `ztunnel` chart's derived values (ambient only).
    Default: {} (the ambient profile)."""


class MeshNamespaceArgs(TypedDict, total=False):
    """Inputs of MeshNamespace: an application namespace on the mesh."""

    namespace_name: str
    """Kubernetes name. Default: the component's name."""
    revision: str
    """Control plane revision, or revision tag, that injects its pods (the
    `istio.io/rev` label). Default: "" (the default revision, through
    `istio-injection=enabled`)."""
    default_deny: bool
    """Add an allow-nothing AuthorizationPolicy, so that only what a service's
    own policy allows gets through. Default: true (zero trust)."""
    mtls_mode: MtlsMode
    """A PeerAuthentication for this namespace only. Default: unset, so the
    mesh-wide mode applies."""
    labels: dict[str, Input[str]]
    """More namespace labels (values may be Outputs). Default: none."""
    data_plane: DataPlane
    """`sidecar` labels the namespace for injection (`revision`); `ambient` labels it
    `istio.io/dataplane-mode=ambient` and sets no injection label. Default: sidecar."""
    external_hosts: list[ExternalHostArgs]
    """Hosts outside the mesh, each a ServiceEntry exported to the whole mesh,
    so that they stay reachable under REGISTRY_ONLY. Default: none."""
    control_plane_ready: Input[list[Input[k8s.helm.v3.Release]]]
    """The control plane's `ready_releases` (resource references): the namespace, and
    everything in it, is registered after them, so its pods find istiod's injector and
    its policies find the CRDs and the validating webhook. Other languages pass them here
    instead of `dependsOn`; Python's `IstioControlPlane.mesh_namespace` does it for you.
    Default: none."""

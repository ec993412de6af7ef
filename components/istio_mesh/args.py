"""Input types of the components.

Every type here is a TypedDict of plain values, own nested TypedDicts and ``str``
Enums, so that Pulumi's component analyzer can derive a multi-language schema from
it, and so that a stack's YAML config maps onto it key for key. Each field's
docstring states its default and why; the defaults themselves live in
``istio_mesh.defaults``.
"""

# No `from __future__ import annotations` here: the component analyzer needs
# real annotations, not strings.
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, TypeVar

from pulumi import Input, Output

# `pulumi.Input[X]` holds the forward reference "Output[T]": with these two names
# here, `typing.get_type_hints` resolves it, so validation can read the types back.
T = TypeVar("T")
__all__ = ["Output", "T"]


class Protocol(StrEnum):
    """Application protocol of a port. Istio picks its proxy behaviour from it."""

    HTTP = "http"
    """HTTP/1.1, with HTTP routing, retries and metrics."""
    HTTP2 = "http2"
    """HTTP/2 without TLS."""
    GRPC = "grpc"
    """gRPC over HTTP/2."""
    TCP = "tcp"
    """Opaque TCP: no HTTP routing, only L4 policy."""


class LoadBalancer(StrEnum):
    """How a proxy spreads requests over the endpoints of one destination."""

    ROUND_ROBIN = "ROUND_ROBIN"
    """Each endpoint in turn."""
    LEAST_REQUEST = "LEAST_REQUEST"
    """The endpoint with the fewest requests in flight (Envoy's default)."""
    RANDOM = "RANDOM"
    """A random endpoint."""
    PASSTHROUGH = "PASSTHROUGH"
    """The address the caller asked for, with no balancing."""


class OutboundTrafficPolicy(StrEnum):
    """What a proxy does with traffic to hosts the mesh does not know."""

    ALLOW_ANY = "ALLOW_ANY"
    """Pass it through."""
    REGISTRY_ONLY = "REGISTRY_ONLY"
    """Block it: only services and ServiceEntries are reachable."""


class MtlsMode(StrEnum):
    """What the server side of a proxy accepts."""

    STRICT = "STRICT"
    """Mutual TLS only."""
    PERMISSIVE = "PERMISSIVE"
    """Mutual TLS and plain text, for a migration."""


class GatewayServiceType(StrEnum):
    """Kubernetes Service type of the ingress gateway."""

    CLUSTER_IP = "ClusterIP"
    """Reachable inside the cluster only (port-forward to test)."""
    NODE_PORT = "NodePort"
    """Reachable on every node's port, for clusters without a load balancer."""
    LOAD_BALANCER = "LoadBalancer"
    """An external load balancer; the deployment waits for its address."""


class ExternalProtocol(StrEnum):
    """Protocol of a host outside the mesh."""

    HTTPS = "HTTPS"
    """HTTPS, originated by the application: the proxy routes it by SNI."""
    TLS = "TLS"
    """Any TLS, routed by SNI."""
    HTTP = "HTTP"
    """Plain HTTP."""
    TCP = "TCP"
    """Opaque TCP."""


class TracingProvider(StrEnum):
    """Where proxies send their spans."""

    OPENTELEMETRY = "opentelemetry"
    """An OpenTelemetry collector over OTLP/gRPC."""
    ZIPKIN = "zipkin"
    """A Zipkin-compatible collector (Zipkin, Jaeger's Zipkin port)."""


class TrafficApi(StrEnum):
    """Which API a stack's routes compile to."""

    ISTIO = "istio"
    """Istio's VirtualService, DestinationRule (subsets) and Gateway."""
    GATEWAY_API = "gateway-api"
    """Kubernetes Gateway API: HTTPRoute (GRPCRoute for gRPC) bound to the Service for
    mesh traffic and to a Gateway API Gateway for ingress; per-version Services instead
    of subsets; DestinationRules only for traffic policies."""


class DataPlane(StrEnum):
    """How workloads join the mesh."""

    SIDECAR = "sidecar"
    """An injected Envoy sidecar per pod."""
    AMBIENT = "ambient"
    """Ambient mode: ztunnel per node for L4 (mTLS, L4 policy), a waypoint proxy per
    service that needs L7 (routing, L7 authorization, JWT)."""


class GatewayApiArgs(TypedDict, total=False):
    """The Kubernetes Gateway API CRDs (standard channel) that `gateway-api` routes and
    ambient waypoints need."""

    version: str
    """Gateway API release, such as "v1.5.1": installed with `install_crds`, else the
    version the cluster already has (check verifies it is one Istio supports).
    Default: "v1.5.1", the release Istio 1.30 is built against."""
    install_crds: bool
    """Install the standard-channel CRDs of `version` before istiod (which watches
    them) and before any route. Default: false, as CRDs are cluster-wide and often
    owned by the platform team; set it where the stack owns the cluster."""
    crds_file: str
    """URL or local path of the standard-channel install manifest, for air-gapped
    clusters or a vendored copy. Default: the release asset on GitHub,
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/<version>/standard-install.yaml"."""


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


class ResourcesArgs(TypedDict, total=False):
    """CPU and memory of one container, as Kubernetes quantities."""

    cpu_request: Input[str]
    """CPU the scheduler reserves. Default: "100m"."""
    memory_request: Input[str]
    """Memory the scheduler reserves. Default: "128Mi"."""
    cpu_limit: Input[str]
    """CPU ceiling before throttling. Default: "500m"."""
    memory_limit: Input[str]
    """Memory ceiling before the container is killed. Default: "256Mi"."""


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
    hosts: list[str]
    """Host names the Gateway accepts. Default: ["*"]."""
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


class RetryArgs(TypedDict, total=False):
    """Retry policy of a route."""

    attempts: int
    """Tries after the first, 0 to 10. Default: 2, as in Istio."""
    per_try_timeout: str
    """Timeout of each try, as a duration such as "2s". Default: "2s"."""
    retry_on: str
    """Envoy retry conditions. Default: "connect-failure,refused-stream,unavailable,
    cancelled,retriable-status-codes", Istio's own, which never retries a request
    the service may have half done."""


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
    """The Gateway API CRDs: installed or verified. Default: version v1.5.1, not
    installed (the cluster is expected to have them with `gateway-api` or ambient)."""
    default_retries: RetryArgs
    """The mesh-wide retry policy (meshConfig `defaultHttpRetryPolicy`) of routes that
    carry none: every HTTPRoute, as the standard channel has no retry field. Set
    with `traffic_api: gateway-api` only. Default: the routes' own defaults (2
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


class PortArgs(TypedDict):
    """One port of a service."""

    port: int
    """Port the Service and the container listen on, 1 to 65535."""
    protocol: NotRequired[Protocol]
    """Protocol. Default: http. It prefixes the port's name, as Istio requires."""
    name: NotRequired[str]
    """Suffix of the port's name after the protocol. Default: none, so the name
    is the protocol alone."""


class StringMatchArgs(TypedDict, total=False):
    """A string match; set exactly one field."""

    exact: str
    """The whole value."""
    prefix: str
    """The value's start."""
    regex: str
    """An RE2 regular expression over the whole value."""


class MatchArgs(TypedDict, total=False):
    """Conditions a request must all meet."""

    headers: dict[str, StringMatchArgs]
    """Header name (lower case) to match."""
    uri_prefix: str
    """Path prefix, such as "/api"."""
    cookie_regex: str
    """RE2 expression over the Cookie header, such as "^(.*?;)?(user=jason)(;.*)?$"."""


class DestinationArgs(TypedDict):
    """Where a share of a route's traffic goes."""

    version: str
    """A version of this service."""
    weight: NotRequired[int]
    """Percentage of the route's traffic. Default: 100 for a lone destination.
    A route's weights must add up to 100."""


class FaultArgs(TypedDict, total=False):
    """Faults injected into a route, to test resilience."""

    delay: str
    """Fixed delay such as "5s". Default: none."""
    delay_percent: float
    """Share of requests delayed, 0 to 100. Default: 100."""
    abort_status: int
    """HTTP status returned instead of calling the service. Default: none."""
    abort_percent: float
    """Share of requests aborted, 0 to 100. Default: 100."""


class MirrorArgs(TypedDict):
    """Copy a share of a route's traffic to a version; its answers are dropped."""

    version: str
    """A version of this service."""
    percent: NotRequired[float]
    """Share of requests mirrored, 0 to 100. Default: 100."""


class RouteArgs(TypedDict, total=False):
    """One HTTP route of the service's VirtualService, tried in order."""

    name: str
    """Route name in metrics and logs. Default: "route-<index>"."""
    match: list[MatchArgs]
    """Alternatives: the route applies when any one matches. Default: every
    request (a catch-all, which must come last)."""
    destinations: list[DestinationArgs]
    """Weighted versions. Default: the Service itself, balanced over all pods."""
    retries: RetryArgs
    """Retries. Default: the service's `retries`."""
    timeout: str
    """Whole-request timeout, such as "10s". Default: the service's `timeout`."""
    fault: FaultArgs
    """Injected faults. Default: none."""
    mirror: MirrorArgs
    """Traffic mirroring. Default: none."""


class ConnectionPoolArgs(TypedDict, total=False):
    """Limits on connections to a destination; beyond them requests fail fast."""

    max_connections: int
    """TCP connections per endpoint. Default: Envoy's (2^32-1)."""
    connect_timeout: str
    """TCP connect timeout, such as "3s". Default: Envoy's (10s)."""
    http1_max_pending_requests: int
    """Requests queued while waiting for a connection. Default: Envoy's."""
    http2_max_requests: int
    """Concurrent requests to a destination. Default: Envoy's."""
    max_requests_per_connection: int
    """Requests per connection before it is recycled. Default: unlimited."""


class OutlierDetectionArgs(TypedDict, total=False):
    """Circuit breaking: eject endpoints that keep failing."""

    consecutive_5xx_errors: int
    """Errors in a row before ejection. Default: 5."""
    interval: str
    """How often endpoints are scanned. Default: "10s"."""
    base_ejection_time: str
    """Minimum ejection time. Default: "30s"."""
    max_ejection_percent: int
    """Largest share of endpoints ejected at once. Default: 50, so that half of
    the endpoints always take traffic."""


class TrafficPolicyArgs(TypedDict, total=False):
    """Load balancing, connection pool and circuit breaking of a destination."""

    load_balancer: LoadBalancer
    """Balancing algorithm. Default: Envoy's (LEAST_REQUEST)."""
    connection_pool: ConnectionPoolArgs
    """Connection limits. Default: none."""
    outlier_detection: OutlierDetectionArgs
    """Circuit breaking. Default: none."""


class VersionArgs(TypedDict):
    """One version of a service: its own Deployment and DestinationRule subset."""

    name: str
    """Version label, a DNS label such as "v1"."""
    image: Input[str]
    """Container image, ideally pinned by digest (such as a build step's output)."""
    replicas: NotRequired[int]
    """Pod count. Default: the service's `replicas`."""
    env: NotRequired[dict[str, Input[str]]]
    """Environment variables for this version only, over the service's. Values not
    known yet (Outputs) go through the service's Secret, as for `secret_env`."""
    secret_env: NotRequired[dict[str, Input[str]]]
    """Secret environment variables for this version only, over the service's."""
    traffic_policy: NotRequired[TrafficPolicyArgs]
    """Traffic policy for this subset, over the service's."""


class ProxyArgs(TypedDict, total=False):
    """Settings of the injected Istio sidecar, passed as pod annotations."""

    cpu_request: Input[str]
    """Sidecar CPU request. Default: "50m"."""
    memory_request: Input[str]
    """Sidecar memory request. Default: "64Mi"."""
    cpu_limit: Input[str]
    """Sidecar CPU limit. Default: "500m"."""
    memory_limit: Input[str]
    """Sidecar memory limit. Default: "256Mi"."""
    log_level: str
    """Envoy log level (trace, debug, info, warning, error, critical, off).
    Default: "warning"."""


class CallerArgs(TypedDict):
    """A workload allowed to call this service."""

    namespace: str
    """The caller's namespace."""
    service_account: str
    """The caller's ServiceAccount: its mTLS identity."""
    methods: NotRequired[list[str]]
    """HTTP methods allowed. Default: all."""
    paths: NotRequired[list[str]]
    """Paths allowed (exact, or ending in *). Default: all."""


class JwtArgs(TypedDict):
    """End-user authentication with JSON Web Tokens."""

    issuer: Input[str]
    """Token issuer (the `iss` claim), such as "https://auth.example.com"."""
    jwks_uri: Input[str]
    """HTTPS URL of the issuer's public keys."""
    audiences: NotRequired[list[str]]
    """Accepted `aud` claims. Default: any."""


class ExternalHostArgs(TypedDict):
    """A host outside the mesh that services may call."""

    host: str
    """DNS name, such as "api.stripe.com"."""
    port: NotRequired[int]
    """Port. Default: 443."""
    protocol: NotRequired[ExternalProtocol]
    """Protocol. Default: TLS."""


class ExposeArgs(TypedDict):
    """Binding of the service's VirtualService to an ingress Gateway."""

    gateway: str
    """The Gateway as "<namespace>/<name>"."""
    hosts: NotRequired[list[str]]
    """External host names routed to this service. Default: ["*"]. With "*", a
    second VirtualService "<name>-ingress" is bound to the gateway alone, as
    Istio rejects host "*" on one bound to the mesh."""


class AutoscalingArgs(TypedDict):
    """A HorizontalPodAutoscaler for each version's Deployment."""

    max_replicas: int
    """Upper bound of pods per version."""
    cpu_utilization: NotRequired[int]
    """Target CPU use in percent of requests. Default: 75."""


class MeshServiceArgs(TypedDict):
    """Inputs of MeshService: one microservice on the mesh."""

    namespace: str
    """Namespace of every object; it must be labelled for injection."""
    versions: list[VersionArgs]
    """Versions running at once, each a Deployment and a subset. At least one."""
    ports: list[PortArgs]
    """Ports. At least one; the first is the one routes and probes use."""
    service_name: NotRequired[str]
    """Name of the Service, its DNS name and its VirtualService host. Default:
    the component's name."""
    replicas: NotRequired[int]
    """Pods per version. Default: 1."""
    env: NotRequired[dict[str, Input[str]]]
    """Environment variables of every version. Default: none. A value not known
    yet (an Output, perhaps a secret) goes through the service's Secret like
    `secret_env`: whether it is secret is only known once it resolves."""
    secret_env: NotRequired[dict[str, Input[str]]]
    """Environment variables whose values are secret: they go into one Kubernetes
    Secret per service (`<service>-env`, marked secret in Pulumi's state) and reach
    the pods through `secretKeyRef`, never in the Deployment. Default: none."""
    resources: NotRequired[ResourcesArgs]
    """CPU and memory of the app container. Default: see ResourcesArgs."""
    proxy: NotRequired[ProxyArgs]
    """Sidecar settings. Default: see ProxyArgs."""
    routes: NotRequired[list[RouteArgs]]
    """HTTP routes in order. Default: one route to the Service."""
    retries: NotRequired[RetryArgs]
    """Retries of every route that sets none. Default: see RetryArgs."""
    timeout: NotRequired[Input[str]]
    """Timeout of every route that sets none. Default: "15s"."""
    traffic_policy: NotRequired[TrafficPolicyArgs]
    """Traffic policy of the whole service. Default: none (Envoy's)."""
    expose: NotRequired[ExposeArgs]
    """Bind the VirtualService to an ingress Gateway too. Default: mesh only."""
    allowed_callers: NotRequired[list[CallerArgs]]
    """Workloads that may call this service: one ALLOW AuthorizationPolicy. A
    namespace with a default-deny policy then admits exactly these. Default:
    none (no policy of its own)."""
    health_path: NotRequired[str]
    """HTTP path for the probes. Default: none, so the probes open a TCP
    connection to the first port."""
    writable_paths: NotRequired[list[str]]
    """Absolute paths mounted as emptyDir, as the root filesystem is read-only.
    Default: ["/tmp"]."""
    run_as_user: NotRequired[int]
    """UID of the app container. Default: 1000, as pods run as non-root."""
    automount_service_account_token: NotRequired[bool]
    """Mount a Kubernetes API token into the pods. Default: false, as most
    services never call the API server."""
    autoscaling: NotRequired[AutoscalingArgs]
    """A HorizontalPodAutoscaler per version. Default: none."""
    jwt: NotRequired[JwtArgs]
    """Require a valid end-user JWT: a RequestAuthentication, and a DENY policy
    for requests without a request principal. Default: none."""
    read_only_root_filesystem: NotRequired[bool]
    """Mount the root filesystem read-only. Default: true, as a compromised app
    then cannot change its own code; use `writable_paths` for scratch space."""
    spread_across_nodes: NotRequired[bool]
    """Spread each version's pods over nodes (best effort). Default: true, so
    that one node's loss takes at most a share of them."""
    disruption_budget: NotRequired[bool]
    """A PodDisruptionBudget (at most one pod down) for each version with more
    than one replica or an autoscaler. Default: true, so that node drains keep
    the service up."""
    egress_hosts: NotRequired[list[str]]
    """Hosts the proxy needs to know, as "<namespace>/<host>" ("*/<host>" for
    external ones). When set, a Sidecar resource limits the proxy's configuration
    to them and the control plane's root namespace, which cuts proxy memory in
    large meshes. Default: unset (the proxy knows the whole mesh)."""
    root_namespace: NotRequired[str]
    """The control plane's root namespace, always reachable through the Sidecar.
    Default: "istio-system"."""
    trust_domain: NotRequired[str]
    """Trust domain of the callers' identities in the ALLOW policy. Default:
    "cluster.local", Istio's default."""
    cluster_domain: NotRequired[str]
    """DNS domain of the cluster, in the Service's host name. Default:
    "cluster.local", Kubernetes' default."""
    part_of: NotRequired[str]
    """Value of the `app.kubernetes.io/part-of` label on every object. Default:
    unset (no such label)."""
    traffic_api: NotRequired[TrafficApi]
    """The API its routes compile to: `istio` (a VirtualService over DestinationRule
    subsets) or `gateway-api` (an HTTPRoute, or GRPCRoute for a gRPC first port, over
    a Service per version named `<service>-<version>`). Features the chosen API
    cannot express are refused at their key. Default: istio."""
    data_plane: NotRequired[DataPlane]
    """`sidecar` or `ambient`. In ambient no sidecar is injected nor configured (no
    Sidecar resource, no proxy annotations), and a service that needs L7 (routes,
    retries, timeouts, L7 authorization, JWT) gets a waypoint of its own; the rest
    is L4 on ztunnel. Default: sidecar."""
    injected_by: NotRequired[str]
    """The control plane revision and version that inject the sidecars, such as
    "1-30-5/1.30.5", as the pod-template annotation `istio-mesh/injected-by`:
    when it changes, the pods restart and get their proxy from it. Default:
    unset (no annotation; pods keep their proxy until restarted)."""


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

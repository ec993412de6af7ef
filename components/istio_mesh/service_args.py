"""The argument types of MeshService; import them from ``istio_mesh.args``."""

# No `from __future__ import annotations` here: the component analyzer needs
# real annotations, not strings.
from typing import NotRequired, TypedDict, TypeVar

import pulumi_kubernetes as k8s
from pulumi import Input, Output

from istio_mesh.args_common import (
    DataPlane,
    GatewayApiChannel,
    LoadBalancer,
    Protocol,
    ResourcesArgs,
    RetryArgs,
    TrafficApi,
)

# `pulumi.Input[X]` holds the forward reference "Output[T]": with these two names
# here, `typing.get_type_hints` resolves it, so validation can read the types back.
T = TypeVar("T")
__all__ = [
    "AutoscalingArgs",
    "CallerArgs",
    "ConnectionPoolArgs",
    "DestinationArgs",
    "ExposeArgs",
    "FaultArgs",
    "JwtArgs",
    "MatchArgs",
    "MeshServiceArgs",
    "MirrorArgs",
    "OutlierDetectionArgs",
    "Output",
    "PortArgs",
    "ProxyArgs",
    "RouteArgs",
    "StringMatchArgs",
    "T",
    "TrafficPolicyArgs",
    "VersionArgs",
]


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


class ExposeArgs(TypedDict):
    """Binding of the service's VirtualService to an ingress Gateway."""

    gateway: str
    """The Gateway as "<namespace>/<name>"."""
    hosts: NotRequired[list[Input[str]]]
    """External host names routed to this service. Default: ["*"]. With "*", a
    second VirtualService "<name>-ingress" is bound to the gateway alone, as
    Istio rejects host "*" on one bound to the mesh. An Output is taken as a host
    name, never "*", and checked by Istio's webhook once known."""


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
    namespace_resource: NotRequired[Input[k8s.core.v1.Namespace]]
    """The MeshNamespace's `namespace_resource` (a resource reference): the service is
    registered after it, and so after the control plane that namespace waits for. Its
    name should be `namespace` (not compared: it only orders). Other languages pass it here
    instead of `dependsOn`; Python's `MeshNamespace.service` does it for you. Default:
    none."""
    control_plane_ready: NotRequired[Input[list[Input[k8s.helm.v3.Release]]]]
    """The control plane's `ready_releases` (resource references): the service is
    registered after them, for a namespace the stack does not manage with a
    MeshNamespace. Default: none."""
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
    Secret per service (`<service>-env-<suffix>`, named by Pulumi and marked secret
    in Pulumi's state) and reach the pods through `secretKeyRef`, never in the
    Deployment; a new value rolls the pods onto a new Secret. Default: none."""
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
    egress_hosts: NotRequired[list[Input[str]]]
    """Hosts the proxy needs to know, as "<namespace>/<host>" ("*/<host>" for
    external ones). When set, a Sidecar resource limits the proxy's configuration
    to them and the control plane's root namespace, which cuts proxy memory in
    large meshes. Outputs are taken as they resolve (checked by Istio's webhook).
    Default: unset (the proxy knows the whole mesh)."""
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
    gateway_api_channel: NotRequired[GatewayApiChannel]
    """With `traffic_api: gateway-api`, the Gateway API channel the cluster's CRDs
    come from: on `experimental`, `retries` compile to each HTTPRoute rule's `retry`
    and `timeouts.backendRequest`; on `standard`, which has no retry field, they are
    refused (the mesh's default retry policy applies). Default: standard."""
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

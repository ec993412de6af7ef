"""Every default, one table per argument type, each value with its reason; then the fixed
names the components give what they create.

A table is a frozen dataclass named after its argument type (``MeshServiceArgs`` →
``MeshServiceDefaults``, instance ``SERVICE``): its fields are that type's keys, their
values the defaults, their docstrings the reasons. Code reads defaults only from here.
``python -m istio_mesh.reference`` writes every table to the README's defaults section
and to ``defaults.json``; tests check that each field is a key of its argument type,
that the argument's own docstring quotes the value, and that the snapshot matches.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    """One argument type's defaults."""

    def as_dict(self) -> dict[str, Any]:
        """The defaults by key, as the arguments spell them."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class ResourcesDefaults(Table):
    """ResourcesArgs of an application container: small but bounded, so that every
    container has requests and limits."""

    cpu_request: str = "100m"
    """Enough for an idle service; the scheduler reserves it."""
    memory_request: str = "128Mi"
    """A small runtime's working set."""
    cpu_limit: str = "500m"
    """Half a core: a busy loop cannot starve the node."""
    memory_limit: str = "256Mi"
    """Twice the request: a leak ends in a restart, not a node under pressure."""


@dataclass(frozen=True)
class ProxyDefaults(Table):
    """ProxyArgs: the sidecars of small services need little."""

    cpu_request: str = "50m"
    """An idle proxy's share."""
    memory_request: str = "64Mi"
    """A proxy that knows only the hosts its Sidecar lists."""
    cpu_limit: str = "500m"
    """Keeps a runaway proxy in check."""
    memory_limit: str = "256Mi"
    """Room for a larger config without an out-of-memory kill."""
    log_level: str = "warning"
    """Quiet enough for production; raise it per service to debug."""

    def sizes(self) -> dict[str, str]:
        """The four resource sizes, without the log level."""
        return {k: v for k, v in self.as_dict().items() if k != "log_level"}


@dataclass(frozen=True)
class IstiodResourcesDefaults(ResourcesDefaults):
    """ResourcesArgs of istiod: the istiod chart's own requests, with limits added."""

    cpu_request: str = "500m"
    """The chart's request."""
    memory_request: str = "2Gi"
    """The chart's request."""
    cpu_limit: str = "1"
    """Twice the request: config pushes are bursty."""
    memory_limit: str = "4Gi"
    """Twice the request: a large mesh's config fits."""


@dataclass(frozen=True)
class IstiodDefaults(Table):
    """IstiodArgs."""

    replicas: int = 1
    """Enough for a small mesh; a PodDisruptionBudget keeps two from draining at once."""


@dataclass(frozen=True)
class GatewayDefaults(Table):
    """GatewayArgs."""

    namespace: str = "istio-ingress"
    """Gateway pods apart from istiod, as Istio's install guide does, so that istiod's
    access rights stay narrow."""
    replicas: int = 1
    """One pod; a PodDisruptionBudget appears from two."""
    service_type: str = "LoadBalancer"
    """Reachable from outside the cluster, which is what an ingress gateway is for."""
    hosts: tuple[str, ...] = ("*",)
    """Every host, until the stack names its own."""


@dataclass(frozen=True)
class GatewayApiDefaults(Table):
    """GatewayApiArgs."""

    version: str = "v1.5.1"
    """The Gateway API release Istio 1.30 is built against."""
    channel: str = "standard"
    """The stable API platform teams install; the experimental channel (HTTPRoute retries)
    is chosen, never relied on unasked."""
    install_crds: bool = False
    """CRDs are cluster-wide and often owned by the platform team."""


@dataclass(frozen=True)
class RetryDefaults(Table):
    """RetryArgs."""

    attempts: int = 2
    """Istio's own default: two more tries hide a lost connection or a restarting pod."""
    per_try_timeout: str = "2s"
    """Short enough that every try fits in the route's timeout."""
    retry_on: str = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
    """Istio's own retry conditions: safe for requests that are not idempotent."""


@dataclass(frozen=True)
class ControlPlaneDefaults(Table):
    """IstioControlPlaneArgs."""

    version: str = "1.30.5"
    """The newest known patch release (``istio_mesh.releases``): 1.30.4 fixed Envoy CVEs
    and AuthorizationPolicy bypasses. The tests read 1.30.3's charts and CRDs, which
    1.30.4 and 1.30.5 did not change. The one place to change the default."""
    repository: str = "https://istio-release.storage.googleapis.com/charts"
    """Istio's official chart repository."""
    namespace: str = "istio-system"
    """Istio's conventional root namespace; mesh-wide policies live there."""
    revision: str = ""
    """The default revision, which the `istio-injection=enabled` label selects."""
    timeout_seconds: int = 600
    """istiod pulls images and starts webhooks: minutes on a cold cluster."""
    access_log: bool = True
    """Every request leaves a line: the first thing anyone debugging asks for."""
    outbound_traffic_policy: str = "ALLOW_ANY"
    """Istio's own default; `REGISTRY_ONLY` needs every external host declared."""
    mtls_mode: str = "STRICT"
    """No workload accepts plain text unless a stack asks for PERMISSIVE."""
    tracing_sampling_percent: float = 1.0
    """Enough traces to debug, cheap at scale."""
    trust_domain: str = "cluster.local"
    """Istio's default SPIFFE trust domain (``meshConfig.trustDomain``)."""
    cluster_domain: str = "cluster.local"
    """Kubernetes' default DNS domain (the istiod chart's ``global.proxy.clusterDomain``)."""
    jwks_blocked_cidrs: tuple[str, ...] = (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
    """Loopback, private, link-local (cloud metadata endpoints) and shared ranges:
    a JWKS URI never needs them, and an attacker who can write a RequestAuthentication
    could otherwise make istiod call internal services."""
    protect: bool = False
    """Development stacks come and go; production sets it."""
    traffic_api: str = "istio"
    """VirtualServices over DestinationRule subsets: every routing feature, in every mode."""
    data_plane: str = "sidecar"
    """An injected sidecar per pod: the most complete and proven data plane."""


@dataclass(frozen=True)
class OutlierDetectionDefaults(Table):
    """OutlierDetectionArgs: eject an endpoint after five errors in a row, never more
    than half of them."""

    consecutive_5xx_errors: int = 5
    """Five in a row is a sick endpoint, not bad luck."""
    interval: str = "10s"
    """Envoy's own sweep interval."""
    base_ejection_time: str = "30s"
    """Envoy's own ejection time."""
    max_ejection_percent: int = 50
    """Half of the endpoints always take traffic."""


@dataclass(frozen=True)
class AutoscalingDefaults(Table):
    """AutoscalingArgs."""

    cpu_utilization: int = 75
    """Room for a burst before new pods are ready."""


@dataclass(frozen=True)
class MeshServiceDefaults(Table):
    """MeshServiceArgs."""

    replicas: int = 1
    """One pod per version; PodDisruptionBudgets appear from two."""
    timeout: str = "15s"
    """A bound on every request, so that a hung callee does not hang its callers."""
    run_as_user: int = 1000
    """Pods run as non-root; a fixed UID satisfies runAsNonRoot even for images without USER."""
    writable_paths: tuple[str, ...] = ("/tmp",)
    """The root filesystem is read-only; most runtimes still need a scratch /tmp."""
    read_only_root_filesystem: bool = True
    """A compromised app cannot change its own code."""
    disruption_budget: bool = True
    """Node drains keep the service up."""
    spread_across_nodes: bool = True
    """One node's loss takes at most a share of the pods."""
    automount_service_account_token: bool = False
    """Most services never call the API server; a stolen token is then worth nothing."""
    root_namespace: str = ControlPlaneDefaults.namespace
    """The control plane's own default namespace."""
    trust_domain: str = ControlPlaneDefaults.trust_domain
    """The control plane's own default trust domain."""
    cluster_domain: str = ControlPlaneDefaults.cluster_domain
    """The control plane's own default cluster domain."""
    traffic_api: str = ControlPlaneDefaults.traffic_api
    """The control plane's own default traffic API."""
    data_plane: str = ControlPlaneDefaults.data_plane
    """The control plane's own default data plane."""


@dataclass(frozen=True)
class PortDefaults(Table):
    """PortArgs."""

    protocol: str = "http"
    """What most services speak, and what gives the mesh every L7 feature."""


@dataclass(frozen=True)
class FaultDefaults(Table):
    """FaultArgs."""

    delay_percent: float = 100
    """A fault asked for is a fault on every request, unless a share is given."""
    abort_percent: float = 100
    """A fault asked for is a fault on every request, unless a share is given."""


@dataclass(frozen=True)
class MirrorDefaults(Table):
    """MirrorArgs."""

    percent: float = 100
    """A mirror copies every request, unless a share is given."""


@dataclass(frozen=True)
class ExposeDefaults(Table):
    """ExposeArgs."""

    hosts: tuple[str, ...] = ("*",)
    """Every host the gateway serves."""


@dataclass(frozen=True)
class MeshNamespaceDefaults(Table):
    """MeshNamespaceArgs."""

    revision: str = ControlPlaneDefaults.revision
    """The default revision, through `istio-injection=enabled`."""
    default_deny: bool = True
    """Zero trust: only what a service admits gets through."""
    data_plane: str = ControlPlaneDefaults.data_plane
    """The control plane's own default data plane."""


@dataclass(frozen=True)
class ExternalHostDefaults(Table):
    """ExternalHostArgs."""

    port: int = 443
    """External services are reached over TLS, on its port."""
    protocol: str = "TLS"
    """The application speaks TLS itself; the proxy passes it through by SNI."""


CONTROL_PLANE = ControlPlaneDefaults()
ISTIOD = IstiodDefaults()
ISTIOD_RESOURCES = IstiodResourcesDefaults()
GATEWAY = GatewayDefaults()
GATEWAY_API = GatewayApiDefaults()
SERVICE = MeshServiceDefaults()
RESOURCES = ResourcesDefaults()
PROXY = ProxyDefaults()
RETRY = RetryDefaults()
OUTLIER_DETECTION = OutlierDetectionDefaults()
AUTOSCALING = AutoscalingDefaults()
PORT = PortDefaults()
FAULT = FaultDefaults()
MIRROR = MirrorDefaults()
EXPOSE = ExposeDefaults()
NAMESPACE = MeshNamespaceDefaults()
EXTERNAL_HOST = ExternalHostDefaults()

TABLES: dict[str, Table] = {
    "IstioControlPlaneArgs": CONTROL_PLANE,
    "IstiodArgs": ISTIOD,
    "IstiodArgs.resources": ISTIOD_RESOURCES,
    "GatewayArgs": GATEWAY,
    "GatewayApiArgs": GATEWAY_API,
    "RetryArgs": RETRY,
    "MeshServiceArgs": SERVICE,
    "ResourcesArgs": RESOURCES,
    "ProxyArgs": PROXY,
    "OutlierDetectionArgs": OUTLIER_DETECTION,
    "AutoscalingArgs": AUTOSCALING,
    "PortArgs": PORT,
    "FaultArgs": FAULT,
    "MirrorArgs": MIRROR,
    "ExposeArgs": EXPOSE,
    "MeshNamespaceArgs": NAMESPACE,
    "ExternalHostArgs": EXTERNAL_HOST,
}
"""Every table, by the argument type it belongs to (``IstiodArgs.resources``: the
ResourcesArgs of istiod, whose defaults differ from an application's)."""

# Fixed names and facts: not settable, so no argument's default.

GATEWAY_RELEASE = "istio-ingress"
"""The gateway chart labels its pods ``istio: <release name without 'istio-'>``."""
TRACING_PROVIDER = "mesh-tracing"
"""Name of the tracing extension provider in istiod's mesh config, as the Telemetry names it."""
TRACING_PORTS = {"opentelemetry": 4317, "zipkin": 9411}
"""TracingArgs.port by provider: the conventional collector ports, OTLP over gRPC and Zipkin's HTTP API."""
INJECTED_BY_ANNOTATION = "istio-mesh/injected-by"
"""Pod-template annotation naming the revision and version that inject the pod:
when it changes, Kubernetes rolls the pods, which then get the new proxy."""
GATEWAY_API_MIN_MINOR = 5
"""Istio 1.30 reads the v1 HTTPRoute and GRPCRoute fields of Gateway API 1.5; an older
cluster's CRDs may lack them."""
GATEWAY_API_CRDS_URL = (
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/{channel}-install.yaml"
)
"""GatewayApiArgs.crds_file: the install manifest of one channel of the release, a release asset."""
GATEWAY_CLASS = "istio"
"""Istio's GatewayClass for ingress gateways."""
WAYPOINT_CLASS = "istio-waypoint"
"""Istio's GatewayClass for ambient waypoints."""
WAYPOINT_PORT = 15008
"""Waypoints listen on HBONE's port."""
CNI_RELEASE = "istio-cni"
"""The cni chart's release, as Istio's ambient install guide names it."""
ZTUNNEL_RELEASE = "ztunnel"
"""The ztunnel chart's resources are named after ``resourceName`` (default "ztunnel");
the release keeps the same name, as Istio's guide does."""

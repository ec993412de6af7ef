"""Defaults of every optional argument, in one place, with the reason for each.

The docstrings in ``istio_mesh.args`` quote these values; a test keeps them in step.
``python -m istio_mesh.reference`` writes every one, with its reason, to the
README's defaults table and to ``defaults.json``, which a test compares with these
values: a changed default is always a visible diff.
"""

ISTIO_VERSION = "1.30.5"
"""The newest known patch release (``istio_mesh.releases``): 1.30.4 fixed Envoy CVEs
and AuthorizationPolicy bypasses. The tests read 1.30.3's charts and CRDs, which
1.30.4 and 1.30.5 did not change. The one place to change the default."""
CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
"""Istio's official chart repository."""
ISTIO_NAMESPACE = "istio-system"
"""Istio's conventional root namespace; mesh-wide policies live there."""
GATEWAY_NAMESPACE = "istio-ingress"
"""Gateway pods apart from istiod, as Istio's install guide does."""
GATEWAY_RELEASE = "istio-ingress"
"""The gateway chart labels its pods ``istio: <release name without 'istio-'>``."""
HELM_TIMEOUT_SECONDS = 600
"""istiod pulls images and starts webhooks: minutes on a cold cluster."""
TRACING_SAMPLING_PERCENT = 1.0
"""Enough traces to debug, cheap at scale."""
CLUSTER_DOMAIN = "cluster.local"
"""Kubernetes' default DNS domain (the istiod chart's ``global.proxy.clusterDomain``)."""
TRUST_DOMAIN = "cluster.local"
"""Istio's default SPIFFE trust domain (``meshConfig.trustDomain``)."""
TRACING_PROVIDER = "mesh-tracing"
"""Name of the tracing extension provider in istiod's mesh config, as the Telemetry names it."""
TRACING_PORTS = {"opentelemetry": 4317, "zipkin": 9411}
"""Conventional collector ports: OTLP over gRPC, and Zipkin's HTTP API."""
JWKS_BLOCKED_CIDRS = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
]
"""Loopback, private, link-local (cloud metadata endpoints) and shared ranges:
a JWKS URI never needs them, and an attacker who can write a RequestAuthentication
could otherwise make istiod call internal services."""
INJECTED_BY_ANNOTATION = "istio-mesh/injected-by"
"""Pod-template annotation naming the revision and version that inject the pod:
when it changes, Kubernetes rolls the pods, which then get the new proxy."""

APP_RESOURCES = {"cpu_request": "100m", "memory_request": "128Mi", "cpu_limit": "500m", "memory_limit": "256Mi"}
"""Small but bounded: every container has requests and limits."""
PROXY_RESOURCES = {"cpu_request": "50m", "memory_request": "64Mi", "cpu_limit": "500m", "memory_limit": "256Mi"}
"""Sidecars of small services need little; limits keep a runaway proxy in check."""
PROXY_LOG_LEVEL = "warning"
"""Quiet enough for production; raise per service to debug."""
ISTIOD_RESOURCES = {"cpu_request": "500m", "memory_request": "2Gi", "cpu_limit": "1", "memory_limit": "4Gi"}
"""The istiod chart's own requests, with limits added."""
REPLICAS = 1
"""One pod per version; PodDisruptionBudgets appear from two."""
RETRY_ATTEMPTS = 2
"""Istio's own default: two more tries hide a lost connection or a restarting pod."""
RETRY_PER_TRY_TIMEOUT = "2s"
"""Short enough that every try fits in the route timeout."""
RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
"""Istio's own retry conditions: safe for requests that are not idempotent."""
ROUTE_TIMEOUT = "15s"
"""A bound on every request, so that a hung callee does not hang its callers."""
OUTLIER_DETECTION = {
    "consecutive_5xx_errors": 5,
    "interval": "10s",
    "base_ejection_time": "30s",
    "max_ejection_percent": 50,
}
"""Eject an endpoint after five errors in a row, never more than half of them."""
RUN_AS_USER = 1000
"""Pods run as non-root; a fixed UID satisfies runAsNonRoot even for images without USER."""
WRITABLE_PATHS = ["/tmp"]
"""The root filesystem is read-only; most runtimes still need a scratch /tmp."""
HPA_CPU_UTILIZATION = 75
"""Room for a burst before new pods are ready."""

TRAFFIC_API = "istio"
"""Today's output: VirtualServices over DestinationRule subsets."""
DATA_PLANE = "sidecar"
"""Today's data plane: an injected sidecar per pod."""
GATEWAY_API_VERSION = "v1.5.1"
"""The Gateway API release Istio 1.30 is built against."""
GATEWAY_API_MIN_MINOR = 5
"""Istio 1.30 reads the v1 HTTPRoute and GRPCRoute fields of Gateway API 1.5; an older
cluster's CRDs may lack them."""
GATEWAY_API_CRDS_URL = (
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/standard-install.yaml"
)
"""The standard-channel install manifest of a Gateway API release."""
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

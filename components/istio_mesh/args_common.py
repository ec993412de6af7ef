"""Enums and the argument types several components share; import them from ``istio_mesh.args``."""

# No `from __future__ import annotations` here: the component analyzer needs
# real annotations, not strings.
from enum import StrEnum
from typing import NotRequired, TypedDict, TypeVar

from pulumi import Input, Output

# `pulumi.Input[X]` holds the forward reference "Output[T]": with these two names
# here, `typing.get_type_hints` resolves it, so validation can read the types back.
T = TypeVar("T")
__all__ = [
    "DataPlane",
    "ExternalHostArgs",
    "ExternalProtocol",
    "GatewayApiChannel",
    "GatewayServiceType",
    "LoadBalancer",
    "MtlsMode",
    "OutboundTrafficPolicy",
    "Output",
    "Protocol",
    "ResourcesArgs",
    "RetryArgs",
    "T",
    "TracingProvider",
    "TrafficApi",
]


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


class GatewayApiChannel(StrEnum):
    """Which release channel of the Gateway API CRDs the cluster has, and so which
    HTTPRoute fields routes may use."""

    STANDARD = "standard"
    """The standard channel: the stable fields only. HTTPRoute has no `retry`, so Istio
    applies the mesh's retry policy (`default_retries`) to every route."""
    EXPERIMENTAL = "experimental"
    """The experimental channel of the same release: the standard fields plus
    experimental ones. HTTPRoute rules carry a service's or route's `retries`
    (`retry` and `timeouts.backendRequest`), as Istio 1.30 reads them."""


class DataPlane(StrEnum):
    """How workloads join the mesh."""

    SIDECAR = "sidecar"
    """An injected Envoy sidecar per pod."""
    AMBIENT = "ambient"
    """Ambient mode: ztunnel per node for L4 (mTLS, L4 policy), a waypoint proxy per
    service that needs L7 (routing, L7 authorization, JWT)."""


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


class RetryArgs(TypedDict, total=False):
    """Retry policy of a route."""

    attempts: int
    """Tries after the first, 0 to 10. Default: 2, as in Istio."""
    per_try_timeout: str
    """Timeout of each try, as a duration such as "2s". Default: "2s"."""
    retry_on: str
    """Envoy retry conditions, and status codes to retry on. Default:
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
    Istio's own, which never retries a request the service may have half done. On
    an experimental-channel HTTPRoute Istio always retries on the first four, so
    they must all be listed; besides them only `retriable-status-codes`,
    `retriable-4xx` (code 409) and codes 400 to 599 can be said there."""


class ExternalHostArgs(TypedDict):
    """A host outside the mesh that services may call."""

    host: str
    """DNS name, such as "api.stripe.com"."""
    port: NotRequired[int]
    """Port. Default: 443."""
    protocol: NotRequired[ExternalProtocol]
    """Protocol. Default: TLS."""

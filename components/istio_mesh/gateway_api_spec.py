"""Routes compiled to the Kubernetes Gateway API (v1.5.1, either channel): pure, no Pulumi.

One route model (``RouteArgs``) compiles to a VirtualService (``service_spec``) or,
here, to an HTTPRoute (GRPCRoute for a gRPC first port) as Istio 1.30 reads it:

- versions are Services of their own, ``<service>-<version>`` (HTTPRoute has no
  subsets), and weights, mirrors and destinations name them in ``backendRefs``;
- mesh traffic binds through a ``parentRef`` to the service's own Service (GAMMA),
  ingress through a second route bound to the Gateway API ``Gateway``;
- traffic policies stay in DestinationRules, one per host that has one, which Istio
  applies whatever API routed the request there;
- on the experimental channel, a service's or route's ``retries`` become the rule's
  ``retry`` and ``timeouts.backendRequest`` (``gateway_api_retries``).

What the chosen channel cannot say is refused, at its key, by
``gateway_api_problems``: fault injection; retries on the standard channel (it has
no ``retry`` field: Istio applies the mesh's ``defaultHttpRetryPolicy``, set from the
control plane's ``default_retries``), on GRPCRoutes (no channel has one), and, on the
experimental channel, what Istio's conversion cannot say; timeouts and path matches
on GRPCRoutes; durations outside Gateway API's grammar; and route lists whose order
Gateway API's precedence would change (HTTPRoute rules are ranked by path prefix
length and header count, not position: Istio sorts them so, keeping position only
among equals).
"""

from collections.abc import Callable, Mapping
from typing import Any

from pulumi import Input

from istio_mesh import defaults as d
from istio_mesh import gateway_api_retries, grammar
from istio_mesh.args import MatchArgs, MeshServiceArgs, MirrorArgs, RouteArgs, StringMatchArgs, TrafficPolicyArgs
from istio_mesh.checks import rule
from istio_mesh.shape import Problem, join

Manifest = dict[str, Any]

GROUP = "gateway.networking.k8s.io"
API_VERSION = f"{GROUP}/v1"
_REGEX_SPECIAL = set("\\.+*?()|[]{}^$")


def version_service(svc: str, version: str) -> str:
    """The Service of one version, which HTTPRoutes name in place of a subset."""
    return f"{svc}-{version}"


def literal_regex(text: str) -> str:
    """An RE2 expression matching ``text`` literally."""
    return "".join(f"\\{c}" if c in _REGEX_SPECIAL else c for c in text)


def is_grpc(args: Mapping[str, Any]) -> bool:
    """Whether the service's routed (first) port speaks gRPC."""
    return bool(args["ports"][0].get("protocol", d.PORT.protocol) == "grpc")


def gateway_api_problems(args: Mapping[str, Any], path: str, name: str) -> list[Problem]:
    """What the service ``name`` asks for that its Gateway API channel cannot say, at its key
    (nothing without `traffic_api: gateway-api`, where a channel is refused)."""
    if args.get("traffic_api") != "gateway-api":
        where = join(path, "gateway_api_channel")
        return [Problem(where, "only with `traffic_api: gateway-api`")] if "gateway_api_channel" in args else []
    problems: list[Problem] = []
    grpc = is_grpc(args)
    kind = "GRPCRoute" if grpc else "HTTPRoute"
    no_retry = _NO_GRPC_RETRY if grpc else None if experimental(args) else _NO_RETRY
    if no_retry and "retries" in args:
        problems.append(Problem(join(path, "retries"), no_retry))
    if not no_retry:
        problems += gateway_api_retries.retries_problems(args, path)
    if grpc and "timeout" in args:
        problems.append(Problem(join(path, "timeout"), _NO_GRPC_TIMEOUT))
    elif "timeout" in args:
        problems += rule(grammar.gateway_duration, _istio_duration(args["timeout"]), join(path, "timeout"))
    for i, version in enumerate(args["versions"]):
        problems += rule(
            lambda v: grammar.dns_1035_label(v, "a Service name (`<service>-<version>`, a version's Service)"),
            version_service(name, version["name"]),
            join(join(join(path, "versions"), i), "name"),
        )
    routes = args.get("routes", [])
    for i, route in enumerate(routes):
        rpath = join(join(path, "routes"), i)
        if "fault" in route:
            problems.append(
                Problem(
                    join(rpath, "fault"),
                    f"{kind} cannot inject faults in Istio 1.30 (Gateway API has no fault filter); "
                    "use `traffic_api: istio` for a resilience drill, or drop the fault",
                )
            )
        if no_retry and "retries" in route:
            problems.append(Problem(join(rpath, "retries"), no_retry))
        if grpc and "timeout" in route:
            problems.append(Problem(join(rpath, "timeout"), _NO_GRPC_TIMEOUT))
        elif "timeout" in route:
            problems += rule(grammar.gateway_duration, _istio_duration(route["timeout"]), join(rpath, "timeout"))
        for k, match in enumerate(route.get("match", [])):
            if grpc and "uri_prefix" in match:
                problems.append(
                    Problem(
                        join(join(join(rpath, "match"), k), "uri_prefix"),
                        "GRPCRoute matches gRPC methods, not paths; match headers, or use `traffic_api: istio`",
                    )
                )
    problems += _order_problems(routes, path)
    return problems


def experimental(args: Mapping[str, Any]) -> bool:
    """Whether the service's routes may use the Gateway API's experimental channel."""
    return bool(args.get("gateway_api_channel", d.GATEWAY_API.channel) == "experimental")


def _istio_duration(value: Any) -> Any:
    """A duration to check against Gateway API's grammar: only one Istio's grammar took
    (the others are reported once, by the duration check)."""
    return value if isinstance(value, str) and grammar.seconds(value) is not None else None


_NO_RETRY = (
    "HTTPRoute in Gateway API's standard channel (v1.5.1) has no retry field; set "
    "`istio.gateway_api.channel: experimental` (the cluster then needs the experimental CRDs) for per-route "
    "retries, or `istio.default_retries` for the mesh's policy, which Istio applies to every HTTPRoute; "
    "or use `traffic_api: istio`"
)
_NO_GRPC_RETRY = (
    "GRPCRoute has no retry field in either Gateway API channel (v1.5.1); Istio applies the mesh's retry "
    "policy to it: set `istio.default_retries` instead, or use `traffic_api: istio`"
)
_NO_GRPC_TIMEOUT = (
    "GRPCRoute has no timeouts in Gateway API's standard channel (v1.5.1); drop it, or use `traffic_api: istio`"
)


def _precedence(match: Mapping[str, Any]) -> tuple[int, int, int]:
    """How Istio ranks an HTTPRoute match (``sortHTTPRoutes``): a path prefix before
    none, longer prefixes first, then more header matches."""
    prefix = match.get("uri_prefix")
    headers = len(match.get("headers", {})) + ("cookie_regex" in match and "cookie" not in match.get("headers", {}))
    return (2 if prefix is not None else -1, len(prefix or ""), headers)


def _disjoint(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether no request can meet both matches (a sufficient test, not a complete one)."""
    pa, pb = a.get("uri_prefix"), b.get("uri_prefix")
    if pa is not None and pb is not None and not (pa.startswith(pb) or pb.startswith(pa)):
        return True
    ha, hb = a.get("headers", {}), b.get("headers", {})
    return any("exact" in ha[h] and "exact" in hb[h] and ha[h]["exact"] != hb[h]["exact"] for h in set(ha) & set(hb))


def _order_problems(routes: list[Mapping[str, Any]], path: str) -> list[Problem]:
    problems: list[Problem] = []
    for j, later in enumerate(routes):
        for k, match in enumerate(later.get("match", [])):
            for i, earlier in enumerate(routes[:j]):
                if any(
                    _precedence(match) > _precedence(first) and not _disjoint(match, first)
                    for first in earlier.get("match", [])
                ):
                    problems.append(
                        Problem(
                            join(join(join(join(path, "routes"), j), "match"), k),
                            f"Gateway API ranks route rules by path prefix length, then header count, not by "
                            f"position: this match would be tried before routes[{i}], which it overlaps; move "
                            "the more specific route first, or make the two disjoint",
                        )
                    )
                    break
    return problems


def _header_matches(match: MatchArgs) -> list[dict[str, str]]:
    headers: dict[str, StringMatchArgs] = dict(match.get("headers", {}))
    if "cookie_regex" in match:
        headers["cookie"] = {"regex": match["cookie_regex"]}
    out = []
    for name, sm in headers.items():
        if "exact" in sm:
            out.append({"type": "Exact", "name": name, "value": sm["exact"]})
        elif "prefix" in sm:
            # Header prefixes are no Gateway API match type; a full-match regex says the same.
            out.append({"type": "RegularExpression", "name": name, "value": literal_regex(sm["prefix"]) + ".*"})
        else:
            out.append({"type": "RegularExpression", "name": name, "value": sm["regex"]})
    return out


def _match(match: MatchArgs, grpc: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    headers = _header_matches(match)
    if headers:
        out["headers"] = headers
    if "uri_prefix" in match and not grpc:
        out["path"] = {"type": "PathPrefix", "value": match["uri_prefix"]}
    return out


def _backend(name: str, port: int, weight: int | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": name, "port": port}
    if weight is not None:
        ref["weight"] = weight
    return ref


def _mirror(svc: str, port: int, mirror: MirrorArgs) -> dict[str, Any]:
    percent = float(mirror.get("percent", d.MIRROR.percent))
    share: dict[str, Any] = (
        {"percent": int(percent)}
        if percent.is_integer()
        else {"fraction": {"numerator": round(percent * 10_000), "denominator": 1_000_000}}
    )
    backend = _backend(version_service(svc, mirror["version"]), port)
    return {"type": "RequestMirror", "requestMirror": {"backendRef": backend, **share}}


def _rule(index: int, route: RouteArgs, svc: str, port: int, args: MeshServiceArgs) -> dict[str, Any]:
    grpc = is_grpc(args)
    out: dict[str, Any] = {"name": route.get("name", f"route-{index}")}
    if route.get("match"):
        out["matches"] = [_match(m, grpc) for m in route["match"]]
    dests = route.get("destinations", [])
    if dests:
        out["backendRefs"] = [
            _backend(version_service(svc, x["version"]), port, x.get("weight", 100 if len(dests) == 1 else 0))
            for x in dests
        ]
    else:
        out["backendRefs"] = [_backend(svc, port)]
    if "mirror" in route:
        out["filters"] = [_mirror(svc, port, route["mirror"])]
    if not grpc:
        timeouts = {"request": route.get("timeout", args.get("timeout", d.SERVICE.timeout))}
        if experimental(args) and gateway_api_retries.has_retries(args, route):
            out["retry"], per_try = gateway_api_retries.http_route_retry(args, route)
            if per_try is not None:
                timeouts["backendRequest"] = per_try
        out["timeouts"] = timeouts
    return out


def routes(svc: str, namespace: str, labels: Mapping[str, str], args: MeshServiceArgs) -> list[Manifest]:
    """The service's HTTPRoute (or GRPCRoute) for mesh traffic and, when exposed, its
    ingress twin; none for a TCP first port (ztunnel or the sidecar carry it as is)."""
    first = args["ports"][0]
    if first.get("protocol", d.PORT.protocol) == "tcp":
        return []
    port = first["port"]
    kind = "GRPCRoute" if is_grpc(args) else "HTTPRoute"
    default: list[RouteArgs] = [{"name": "default"}]
    rules = [_rule(i, r, svc, port, args) for i, r in enumerate(args.get("routes") or default)]

    def route(name: str, parent: dict[str, Any], hostnames: list[Input[str]]) -> Manifest:
        spec: dict[str, Any] = {"parentRefs": [parent]}
        if hostnames:
            spec["hostnames"] = hostnames
        spec["rules"] = rules
        return {
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": spec,
        }

    # GAMMA: a route whose parent is the Service applies to every call to it in the mesh.
    out = [route(svc, {"group": "", "kind": "Service", "name": svc, "port": port}, [])]
    expose = args.get("expose")
    if expose:
        gw_namespace, gw_name = expose["gateway"].split("/")
        parent = {"group": GROUP, "kind": "Gateway", "namespace": gw_namespace, "name": gw_name}
        hosts = [h for h in expose.get("hosts", list(d.EXPOSE.hosts)) if h != "*"]
        out.append(route(f"{svc}-ingress", parent, hosts))
    return out


def version_services(
    svc: str, namespace: str, labels: Mapping[str, str], args: MeshServiceArgs, service: Manifest
) -> list[Manifest]:
    """A Service per version, selecting its pods: what backendRefs name."""
    out = []
    for version in args["versions"]:
        name = version_service(svc, version["name"])
        spec = dict(service["spec"])
        spec["selector"] = {"app": svc, "version": version["name"]}
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": {**labels, "version": version["name"]},
                },
                "spec": spec,
            }
        )
    return out


def destination_rules(
    svc: str,
    namespace: str,
    labels: Mapping[str, str],
    args: MeshServiceArgs,
    cluster_domain: str,
    policy: Callable[[TrafficPolicyArgs], dict[str, Any]],
) -> list[Manifest]:
    """DestinationRules for the hosts that have a traffic policy: the service's own, and
    each version's Service with the service's policy under the version's own (a
    version's fields replace the service's, as a subset's do). ``policy`` turns
    TrafficPolicyArgs into Istio's trafficPolicy."""
    out = []
    service_policy: TrafficPolicyArgs = args.get("traffic_policy") or {}

    def rule_for(name: str, tp: TrafficPolicyArgs) -> Manifest:
        return {
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"host": f"{name}.{namespace}.svc.{cluster_domain}", "trafficPolicy": policy(tp)},
        }

    if service_policy:
        out.append(rule_for(svc, service_policy))
    for version in args["versions"]:
        tp: TrafficPolicyArgs = {**service_policy, **(version.get("traffic_policy") or {})}
        if tp:
            out.append(rule_for(version_service(svc, version["name"]), tp))
    return out

"""The routing half of what MeshService registers: DestinationRule and VirtualServices, as
manifests; pure, no Pulumi. Python names stop here: every dict is camelCase, as the API
server reads it."""

from collections.abc import Mapping
from typing import Any, cast

from istio_mesh import defaults as d
from istio_mesh.args import MatchArgs, MeshServiceArgs, RouteArgs, StringMatchArgs, TrafficPolicyArgs
from istio_mesh.control_plane_spec import Manifest
from istio_mesh.retries import retry_policy


def meta(name: str, namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def traffic_policy(tp: TrafficPolicyArgs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "load_balancer" in tp:
        out["loadBalancer"] = {"simple": tp["load_balancer"]}
    pool = tp.get("connection_pool")
    if pool:
        tcp = _present({"maxConnections": pool.get("max_connections"), "connectTimeout": pool.get("connect_timeout")})
        http = _present(
            {
                "http1MaxPendingRequests": pool.get("http1_max_pending_requests"),
                "http2MaxRequests": pool.get("http2_max_requests"),
                "maxRequestsPerConnection": pool.get("max_requests_per_connection"),
            }
        )
        out["connectionPool"] = {**({"tcp": tcp} if tcp else {}), **({"http": http} if http else {})}
    if "outlier_detection" in tp:
        od = {**d.OUTLIER_DETECTION.as_dict(), **tp["outlier_detection"]}
        out["outlierDetection"] = {
            "consecutive5xxErrors": od["consecutive_5xx_errors"],
            "interval": od["interval"],
            "baseEjectionTime": od["base_ejection_time"],
            "maxEjectionPercent": od["max_ejection_percent"],
        }
    return out


def destination_rule(svc: str, namespace: str, host: str, labels: Mapping[str, str], args: MeshServiceArgs) -> Manifest:
    # No `tls` here: Istio's auto mTLS then matches whatever PeerAuthentication
    # says, STRICT or PERMISSIVE, so the two cannot disagree.
    spec: dict[str, Any] = {"host": host}
    if args.get("traffic_policy"):
        spec["trafficPolicy"] = traffic_policy(args["traffic_policy"])
    subsets = []
    for version in args["versions"]:
        subset: dict[str, Any] = {"name": version["name"], "labels": {"version": version["name"]}}
        if version.get("traffic_policy"):
            subset["trafficPolicy"] = traffic_policy(version["traffic_policy"])
        subsets.append(subset)
    spec["subsets"] = subsets
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": meta(svc, namespace, labels),
        "spec": spec,
    }


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that are set."""
    return {k: v for k, v in fields.items() if v is not None}


def _string_match(sm: StringMatchArgs) -> dict[str, str]:
    # Istio's StringMatch has the same keys (exact, prefix, regex), each a string.
    return cast(dict[str, str], dict(sm))


def _match(match: MatchArgs) -> dict[str, Any]:
    headers = {h: _string_match(sm) for h, sm in match.get("headers", {}).items()}
    if "cookie_regex" in match:
        headers["cookie"] = {"regex": match["cookie_regex"]}
    out: dict[str, Any] = {}
    if headers:
        out["headers"] = headers
    if "uri_prefix" in match:
        out["uri"] = {"prefix": match["uri_prefix"]}
    return out


def _http_route(index: int, route: RouteArgs, host: str, port: int, args: MeshServiceArgs) -> dict[str, Any]:
    # Every destination names the port: on a multi-port Service Istio cannot guess it.
    def destination(version: str | None) -> dict[str, Any]:
        dest: dict[str, Any] = {"host": host, "port": {"number": port}}
        if version:
            dest["subset"] = version
        return dest

    out: dict[str, Any] = {"name": route.get("name", f"route-{index}")}
    if route.get("match"):
        out["match"] = [_match(m) for m in route["match"]]
    dests = route.get("destinations", [])
    if dests:
        out["route"] = [
            {"destination": destination(x["version"]), "weight": x.get("weight", 100 if len(dests) == 1 else 0)}
            for x in dests
        ]
    else:
        out["route"] = [{"destination": destination(None)}]
    out["retries"] = retry_policy(args.get("retries", {}), route.get("retries", {}))
    out["timeout"] = route.get("timeout", args.get("timeout", d.SERVICE.timeout))
    fault = route.get("fault")
    if fault:
        out["fault"] = {}
        if "delay" in fault:
            out["fault"]["delay"] = {
                "fixedDelay": fault["delay"],
                "percentage": {"value": float(fault.get("delay_percent", d.FAULT.delay_percent))},
            }
        if "abort_status" in fault:
            out["fault"]["abort"] = {
                "httpStatus": fault["abort_status"],
                "percentage": {"value": float(fault.get("abort_percent", d.FAULT.abort_percent))},
            }
    if "mirror" in route:
        out["mirror"] = destination(route["mirror"]["version"])
        out["mirrorPercentage"] = {"value": float(route["mirror"].get("percent", d.MIRROR.percent))}
    return out


def virtual_services(
    svc: str, namespace: str, host: str, labels: Mapping[str, str], args: MeshServiceArgs
) -> list[Manifest]:
    first = args["ports"][0]
    port = first["port"]
    routes = args.get("routes") or [{"name": "default"}]
    traffic: dict[str, Any]
    if first.get("protocol", d.PORT.protocol) == "tcp":
        traffic = {"tcp": [{"route": [{"destination": {"host": host, "port": {"number": port}}}]}]}
    else:
        traffic = {"http": [_http_route(i, r, host, port, args) for i, r in enumerate(routes)]}

    def virtual_service(name: str, spec: dict[str, Any]) -> Manifest:
        return {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": meta(name, namespace, labels),
            "spec": {**spec, **traffic},
        }

    expose = args.get("expose")
    if not expose:
        return [virtual_service(svc, {"hosts": [host]})]
    external = expose.get("hosts", list(d.EXPOSE.hosts))
    if "*" not in external:
        # Bound to the Gateway as well as to the mesh: both are listed.
        return [virtual_service(svc, {"hosts": [host, *external], "gateways": ["mesh", expose["gateway"]]})]
    # Istio rejects host "*" on a VirtualService bound to the mesh (it would
    # capture every call in the mesh), so the gateway gets its own, same routes.
    return [
        virtual_service(svc, {"hosts": [host]}),
        virtual_service(f"{svc}-ingress", {"hosts": external, "gateways": [expose["gateway"]]}),
    ]

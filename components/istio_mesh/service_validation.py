"""What MeshService's arguments must mean, beyond their shape: pure, no Pulumi.

Each rule is one the API server, Envoy or Istio would apply later, half-way
through a deployment; here it is applied up front, at the key that causes it.
"""

from collections.abc import Mapping
from typing import Any

from istio_mesh import args as a
from istio_mesh import defaults as d
from istio_mesh import grammar
from istio_mesh.ambient_spec import ambient_problems
from istio_mesh.checks import (
    HTTP_METHODS,
    RESERVED_NAMESPACES,
    absolute_path,
    at_least,
    dns_label,
    durations,
    in_range,
    printable,
    reserved_namespace,
    resources,
    rule,
)
from istio_mesh.gateway_api_spec import gateway_api_problems
from istio_mesh.retries import retries_problems
from istio_mesh.revision_validation import domain, label_value
from istio_mesh.shape import Problem, did_you_mean, is_known, join, shaped


def port_name(port: Mapping[str, Any]) -> str:
    """A port's name: the protocol, then the optional suffix, as Istio expects."""
    protocol = port.get("protocol", a.Protocol.HTTP)
    protocol = getattr(protocol, "value", protocol)
    return f"{protocol}-{port['name']}" if port.get("name") else str(protocol)


def volume_name(path: str) -> str:
    """The emptyDir volume name of a writable path: a DNS label derived from it."""
    cleaned = "".join(c if c.isascii() and c.isalnum() else "-" for c in path.strip("/").lower())
    cleaned = "-".join(part for part in cleaned.split("-") if part)
    return f"writable-{cleaned}"[:63].rstrip("-") if cleaned else "writable"


def mesh_service_problems(args: Mapping[str, Any], path: str, name: str | None = None) -> list[Problem]:
    """Every problem of a MeshService's arguments: shape first, then meaning. ``name``
    is the component's name, the Service's name unless ``service_name`` is set."""
    shape, args = shaped(args, a.MeshServiceArgs, path)
    if shape:
        return shape
    problems: list[Problem] = []
    problems += dns_label(args["namespace"], join(path, "namespace"), "a namespace name")
    problems += reserved_namespace(args["namespace"], join(path, "namespace"))
    if "service_name" in args:
        problems += rule(grammar.dns_1035_label, args["service_name"], join(path, "service_name"))
    elif name is not None:
        problems += rule(grammar.dns_1035_label, name, path + " (the component's name)")
    problems += _versions(args, path)
    problems += _ports(args["ports"], join(path, "ports"))
    if "replicas" in args:
        problems += in_range(args["replicas"], 0, 1000, join(path, "replicas"))
    problems += _env(args, path)
    if "resources" in args:
        problems += resources(args["resources"], d.RESOURCES.as_dict(), join(path, "resources"))
    if "proxy" in args:
        problems += _proxy(args["proxy"], join(path, "proxy"))
    problems += _routes(args, path)
    if "retries" in args:
        problems += retries_problems(args["retries"], join(path, "retries"))
    problems += durations(args, ["timeout"], path)
    if "traffic_policy" in args:
        problems += _traffic_policy(args["traffic_policy"], join(path, "traffic_policy"))
    if "expose" in args:
        problems += _expose(args["expose"], join(path, "expose"))
    for i, caller in enumerate(args.get("allowed_callers", [])):
        problems += _caller(caller, join(join(path, "allowed_callers"), i))
    if "health_path" in args:
        problems += absolute_path(args["health_path"], join(path, "health_path"))
    problems += _writable(args.get("writable_paths", []), join(path, "writable_paths"))
    if "run_as_user" in args:
        problems += in_range(args["run_as_user"], 1, 2**31 - 1, join(path, "run_as_user"))
    if "jwt" in args:
        problems += _jwt(args["jwt"], join(path, "jwt"))
        if args["ports"] and all(p.get("protocol", d.PORT.protocol) == "tcp" for p in args["ports"]):
            problems.append(Problem(join(path, "jwt"), "end-user JWTs need an HTTP-like port (http, http2, grpc)"))
    if args["ports"] and args["ports"][0].get("protocol", d.PORT.protocol) == "tcp" and "routes" in args:
        problems.append(
            Problem(join(path, "routes"), "HTTP routes need an HTTP-like first port (http, http2, grpc), not tcp")
        )
    for i, host in enumerate(args.get("egress_hosts", [])):
        problems += _egress_host(host, join(join(path, "egress_hosts"), i))
    if "autoscaling" in args:
        problems += _autoscaling(args, join(path, "autoscaling"))
    problems += _cluster_facts(args, path)
    problems += gateway_api_problems(args, path, args.get("service_name", name or "service"))
    if args.get("data_plane") == "ambient":
        problems += ambient_problems(args, path)
    return problems


def _routes(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Each route, its name unique, and a catch-all only last."""
    problems: list[Problem] = []
    versions = {v["name"] for v in args["versions"]}
    routes = args.get("routes", [])
    names: set[str] = set()
    for i, route in enumerate(routes):
        rpath = join(join(path, "routes"), i)
        problems += _route(route, rpath, versions)
        route_name = route.get("name", f"route-{i}")
        if route_name in names:
            problems.append(Problem(join(rpath, "name"), f"route name {route_name!r} is used twice"))
        names.add(route_name)
        if not route.get("match") and i < len(routes) - 1:
            problems.append(
                Problem(
                    join(rpath, "match"),
                    "a route without `match` catches every request, so the routes after it never "
                    "match; move it last or give it a match",
                )
            )
    return problems


def _cluster_facts(args: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    if "root_namespace" in args:
        problems += dns_label(args["root_namespace"], join(path, "root_namespace"), "a namespace name")
    for key in ("trust_domain", "cluster_domain"):
        if key in args:
            problems += rule(domain, args[key], join(path, key))
    if "part_of" in args:
        problems += rule(label_value, args["part_of"], join(path, "part_of"))
    if "injected_by" in args and not args["injected_by"].strip():
        problems.append(Problem(join(path, "injected_by"), "must not be empty; leave it out instead"))
    return problems


def _env(owner: Mapping[str, Any], path: str) -> list[Problem]:
    """Names of ``env`` and ``secret_env``; a name in both is ambiguous."""
    problems: list[Problem] = []
    for field in ("env", "secret_env"):
        for key in owner.get(field, {}):
            problems += rule(grammar.env_name, key, join(join(path, field), key))
    for key in sorted(set(owner.get("env", {})) & set(owner.get("secret_env", {}))):
        problems.append(
            Problem(join(join(path, "secret_env"), key), f"{key!r} is also in `env`; set it in one of them")
        )
    return problems


def _proxy(proxy: Mapping[str, str], path: str) -> list[Problem]:
    problems = resources({k: v for k, v in proxy.items() if k != "log_level"}, d.PROXY.sizes(), path)
    levels = ["trace", "debug", "info", "warning", "error", "critical", "off"]
    if proxy.get("log_level", d.PROXY.log_level) not in levels:
        level = proxy["log_level"]
        problems.append(
            Problem(join(path, "log_level"), f"{level!r}{did_you_mean(level, levels)}; allowed: {', '.join(levels)}")
        )
    return problems


def _autoscaling(args: Mapping[str, Any], path: str) -> list[Problem]:
    auto = args["autoscaling"]
    problems = in_range(auto["max_replicas"], 1, 1000, join(path, "max_replicas"))
    if "cpu_utilization" in auto:
        problems += in_range(auto["cpu_utilization"], 1, 100, join(path, "cpu_utilization"))
    # The autoscaler's minimum is each version's replica count (at least 1).
    lowest = max(
        [max(v.get("replicas", args.get("replicas", d.SERVICE.replicas)), 1) for v in args["versions"]], default=1
    )
    if auto["max_replicas"] < lowest:
        problems.append(
            Problem(
                join(path, "max_replicas"),
                f"{auto['max_replicas']} is below the autoscaler's minimum, {lowest} (the replicas); "
                "allowed: at least the replicas",
            )
        )
    return problems


def _writable(paths: list[str], path: str) -> list[Problem]:
    problems: list[Problem] = []
    volumes: dict[str, str] = {}
    for i, p in enumerate(paths):
        ipath = join(path, i)
        if p == "/" or ".." in p.split("/"):
            problems.append(Problem(ipath, f"{p!r}: allowed: an absolute path below '/', without '..'"))
            continue
        problems += absolute_path(p, ipath)
        volume = volume_name(p)
        if volume in volumes:
            problems.append(
                Problem(ipath, f"{p!r} and {volumes[volume]!r} both become volume {volume!r}; name distinct paths")
            )
        volumes[volume] = p
    return problems


def _jwt(jwt: Mapping[str, Any], path: str) -> list[Problem]:
    problems = printable(jwt["issuer"], join(path, "issuer"), "an issuer")
    uri = jwt["jwks_uri"]
    if isinstance(uri, str) and not (
        uri.startswith("https://") and len(uri) > len("https://") and uri.isprintable() and " " not in uri
    ):
        problems.append(Problem(join(path, "jwks_uri"), f"{uri!r}: allowed: an https:// URL"))
    for i, audience in enumerate(jwt.get("audiences", [])):
        problems += printable(audience, join(join(path, "audiences"), i), "an audience")
    return problems


def _egress_host(host: str, path: str) -> list[Problem]:
    if not is_known(host):
        return []  # checked by Istio's webhook once it resolves
    namespace, sep, name = host.partition("/")
    ns_ok = namespace in ("*", ".") or grammar.dns_label(namespace) is None
    name_ok = name == "*" or grammar.host(name) is None
    if sep and ns_ok and name_ok:
        return []
    return [Problem(path, f'{host!r}: allowed: "<namespace>/<host>", "*/<host>" or "<namespace>/*"')]


def _caller(caller: Mapping[str, Any], path: str) -> list[Problem]:
    problems = dns_label(caller["namespace"], join(path, "namespace"), "a namespace name")
    problems += dns_label(caller["service_account"], join(path, "service_account"), "a ServiceAccount name")
    for j, p in enumerate(caller.get("paths", [])):
        problems += absolute_path(p, join(join(path, "paths"), j))
    for j, method in enumerate(caller.get("methods", [])):
        problems += http_method(method, join(join(path, "methods"), j))
    return problems


def http_method(method: str, path: str) -> list[Problem]:
    """An HTTP method as Istio matches it: upper case."""
    if method in HTTP_METHODS:
        return []
    hint = did_you_mean(method.upper(), HTTP_METHODS)
    return [Problem(path, f"{method!r}{hint}; allowed: {', '.join(HTTP_METHODS)} (Istio compares case-sensitively)")]


def _expose(expose: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    gw = expose["gateway"].split("/")
    if len(gw) != 2 or any(grammar.dns_label(part) for part in gw):
        problems.append(Problem(join(path, "gateway"), f"{expose['gateway']!r}: allowed: <namespace>/<name>"))
    for i, host in enumerate(expose.get("hosts", [])):
        if host != "*":
            problems += rule(grammar.host, host, join(join(path, "hosts"), i))
    return problems


def _traffic_policy(tp: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    pool = tp.get("connection_pool", {})
    ppath = join(path, "connection_pool")
    problems += durations(pool, ["connect_timeout"], ppath)
    for key, val in pool.items():
        if isinstance(val, int):
            problems += in_range(val, 1, 2**31 - 1, join(ppath, key))
    outlier = tp.get("outlier_detection", {})
    opath = join(path, "outlier_detection")
    problems += durations(outlier, ["interval", "base_ejection_time"], opath)
    if "max_ejection_percent" in outlier:
        problems += in_range(outlier["max_ejection_percent"], 0, 100, join(opath, "max_ejection_percent"))
    if "consecutive_5xx_errors" in outlier:
        problems += in_range(outlier["consecutive_5xx_errors"], 1, 2**31 - 1, join(opath, "consecutive_5xx_errors"))
    return problems


def _match(match: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    if not match:
        problems.append(Problem(path, "an empty match matches everything; leave out `match` instead"))
    for header, sm in match.get("headers", {}).items():
        hpath = join(join(path, "headers"), header)
        problems += rule(grammar.header_name, header, hpath)
        if len(sm) != 1:
            problems.append(Problem(hpath, "set exactly one of exact, prefix, regex"))
        for kind, value in sm.items():
            if kind == "regex":
                problems += rule(grammar.regex, value, join(hpath, kind))
            elif isinstance(value, str) and not value.isprintable():
                problems.append(Problem(join(hpath, kind), f"{value!r}: header values have no control characters"))
    if "uri_prefix" in match:
        problems += absolute_path(match["uri_prefix"], join(path, "uri_prefix"))
    if "cookie_regex" in match:
        problems += rule(grammar.regex, match["cookie_regex"], join(path, "cookie_regex"))
    return problems


def _route(route: Mapping[str, Any], path: str, versions: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    if "name" in route:
        problems += dns_label(route["name"], join(path, "name"), "a route name")
    for i, match in enumerate(route.get("match", [])):
        problems += _match(match, join(join(path, "match"), i))
    dests = route.get("destinations", [])
    dpath = join(path, "destinations")
    seen: set[str] = set()
    for i, dest in enumerate(dests):
        problems += version_ref(dest["version"], join(join(dpath, i), "version"), versions)
        if dest["version"] in seen:
            problems.append(Problem(join(join(dpath, i), "version"), f"{dest['version']!r} is listed twice"))
        seen.add(dest["version"])
        if "weight" in dest:
            problems += in_range(dest["weight"], 0, 100, join(join(dpath, i), "weight"))
    if len(dests) > 1 or any("weight" in x for x in dests):
        total = sum(x.get("weight", 0 if len(dests) > 1 else 100) for x in dests)
        if total != 100:
            where = join(join(dpath, len(dests) - 1), "weight") if dests else dpath
            problems.append(Problem(where, f"weights add up to {total}; allowed: a total of 100"))
    if "retries" in route:
        problems += retries_problems(route["retries"], join(path, "retries"))
    problems += durations(route, ["timeout"], path)
    if "fault" in route:
        problems += _fault(route["fault"], join(path, "fault"))
    if "mirror" in route:
        mirror = route["mirror"]
        problems += version_ref(mirror["version"], join(join(path, "mirror"), "version"), versions)
        if "percent" in mirror:
            problems += in_range(mirror["percent"], 0, 100, join(join(path, "mirror"), "percent"))
    return problems


def _fault(fault: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    if "delay" not in fault and "abort_status" not in fault:
        problems.append(Problem(path, "set `delay`, `abort_status` or both"))
    problems += durations(fault, ["delay"], path)
    for key in ("delay_percent", "abort_percent"):
        if key in fault:
            problems += in_range(fault[key], 0, 100, join(path, key))
    if "delay_percent" in fault and "delay" not in fault:
        problems.append(Problem(join(path, "delay_percent"), "needs `delay`"))
    if "abort_percent" in fault and "abort_status" not in fault:
        problems.append(Problem(join(path, "abort_percent"), "needs `abort_status`"))
    if "abort_status" in fault:
        problems += in_range(fault["abort_status"], 200, 599, join(path, "abort_status"))
    return problems


def version_ref(version: str, path: str, versions: set[str]) -> list[Problem]:
    """A reference to one of the service's versions."""
    if version in versions:
        return []
    allowed = ", ".join(sorted(versions)) or "none declared"
    return [Problem(path, f"unknown version {version!r}{did_you_mean(version, versions)}; allowed: {allowed}")]


def _versions(args: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    vpath = join(path, "versions")
    if not args["versions"]:
        problems.append(Problem(vpath, "needs at least one version"))
    seen: set[str] = set()
    for i, version in enumerate(args["versions"]):
        ipath = join(vpath, i)
        problems += dns_label(version["name"], join(ipath, "name"), "a version name")
        if version["name"] in seen:
            problems.append(Problem(join(ipath, "name"), f"{version['name']!r} is declared twice"))
        seen.add(version["name"])
        problems += rule(grammar.image, version["image"], join(ipath, "image"))
        if "replicas" in version:
            problems += in_range(version["replicas"], 0, 1000, join(ipath, "replicas"))
        problems += _env(version, ipath)
        if "traffic_policy" in version:
            problems += _traffic_policy(version["traffic_policy"], join(ipath, "traffic_policy"))
    return problems


def _ports(ports: list[Mapping[str, Any]], path: str) -> list[Problem]:
    problems: list[Problem] = []
    if not ports:
        problems.append(Problem(path, "needs at least one port"))
    numbers: set[int] = set()
    names: set[str] = set()
    for i, port in enumerate(ports):
        ipath = join(path, i)
        problems += in_range(port["port"], 1, 65535, join(ipath, "port"))
        if port["port"] in numbers:
            problems.append(Problem(join(ipath, "port"), f"port {port['port']} is declared twice"))
        numbers.add(port["port"])
        name = port_name(port)
        problems += rule(grammar.port_name, name, join(ipath, "name"))
        if name in names:
            problems.append(Problem(join(ipath, "name"), f"port name {name!r} is used twice"))
        names.add(name)
    return problems


__all__ = ["RESERVED_NAMESPACES", "at_least", "mesh_service_problems", "port_name", "version_ref", "volume_name"]

"""Validation of component arguments: pure, no Pulumi.

Two passes, both collecting every problem rather than stopping at the first:
``check_shape`` walks a value against the very TypedDicts the component analyzer
reads (types, required and unknown keys, enum members), and the semantic checks
(``mesh_service_problems``, ``control_plane_problems``) cover what a type cannot
say: DNS names, port ranges, weights, references between fields.
"""

import difflib
import functools
import ipaddress
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, NotRequired, Required, get_args, get_origin, is_typeddict

from istio_mesh import args as a
from istio_mesh import defaults
from istio_mesh.releases import minor_of, version_key

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Kubernetes requires container port names to be IANA service names.
IANA_SVC_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$")
VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
HEADER_NAME = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]+$")
EGRESS_HOST = re.compile(
    r"^(\*|\.|[a-z0-9]([-a-z0-9]*[a-z0-9])?)/(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$"
)
DOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
HOST = re.compile(r"^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, at a key path such as ``services[1].port``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ArgsError(ValueError):
    """Raised with every problem of an input at once, before anything is registered."""

    def __init__(self, problems: Iterable[Problem], subject: str = "arguments") -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.path, p.message))
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in {subject}:\n{lines}")


def raise_if(problems: list[Problem], subject: str) -> None:
    """Raise ArgsError when there is any problem."""
    if problems:
        raise ArgsError(problems, subject)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _type_name(typ: Any) -> str:
    origin = get_origin(typ)
    if origin is list:
        item = get_args(typ)[0]
        return "a list of objects" if is_typeddict(item) else f"a list of {_type_name(item)}"
    if origin is dict:
        return f"a map of {_type_name(get_args(typ)[1])}"
    if is_typeddict(typ):
        return "an object"
    if isinstance(typ, type) and issubclass(typ, Enum):
        return "one of " + ", ".join(str(m.value) for m in typ)
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false"}.get(typ, str(typ))


def _got(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def check_shape(value: Any, typ: Any, path: str) -> list[Problem]:
    """Problems of ``value`` against the type ``typ`` (TypedDicts, lists, maps, enums)."""
    # Most input is right: a compiled yes/no check answers that without building a
    # key path per field; the walk below, which names each problem, runs only
    # where something is wrong.
    if _conforms(typ)(value):
        return []
    return _shape_problems(value, typ, path)


def _shape_problems(value: Any, typ: Any, path: str) -> list[Problem]:
    origin = get_origin(typ)
    if origin in (NotRequired, Required):
        return _shape_problems(value, get_args(typ)[0], path)
    if typ is Any:
        return []
    if is_typeddict(typ):
        if not isinstance(value, Mapping):
            return [Problem(path, f"expected an object, got {_got(value)}")]
        return _check_typeddict(value, typ, path)
    if origin is list:
        if not isinstance(value, list):
            return [Problem(path, f"expected {_type_name(typ)}, got {_got(value)}")]
        (item,) = get_args(typ)
        return [p for i, v in enumerate(value) for p in _shape_problems(v, item, _join(path, i))]
    if origin is dict:
        if not isinstance(value, Mapping):
            return [Problem(path, f"expected {_type_name(typ)}, got {_got(value)}")]
        _, item = get_args(typ)
        problems = [Problem(_join(path, str(k)), "keys must be text") for k in value if not isinstance(k, str)]
        return problems + [p for k, v in value.items() for p in _shape_problems(v, item, _join(path, str(k)))]
    # Enums and scalars: the rule is the predicate's, only the message is made here.
    if _conforms(typ)(value):
        return []
    hint = ""
    if isinstance(typ, type) and issubclass(typ, Enum):
        hint = did_you_mean(str(value), [str(m.value) for m in typ])
    return [Problem(path, f"expected {_type_name(typ)}, got {_got(value)}{hint}")]


Check = Callable[[Any], bool]


def _always(_value: Any) -> bool:
    return True


@functools.cache
def _conforms(typ: Any) -> Check:
    """A predicate saying whether a value has the shape of ``typ``, built once per
    type. ``_shape_problems`` walks the same structure to name what is wrong, and
    takes the rules for enums and scalars from here."""
    origin = get_origin(typ)
    if origin in (NotRequired, Required):
        return _conforms(get_args(typ)[0])
    if typ is Any:
        return _always
    if is_typeddict(typ):
        fields = {key: _conforms(field) for key, field in _hints(typ).items()}
        required = frozenset(typ.__required_keys__)

        def typeddict(value: Any) -> bool:
            if not isinstance(value, Mapping) or not required <= value.keys():
                return False
            for key, item in value.items():
                check = fields.get(key)
                if check is None or not check(item):
                    return False
            return True

        return typeddict
    if origin is list:
        each = _conforms(get_args(typ)[0])
        return lambda value: isinstance(value, list) and all(each(v) for v in value)
    if origin is dict:
        each = _conforms(get_args(typ)[1])
        return lambda value: (
            isinstance(value, Mapping) and all(isinstance(k, str) and each(v) for k, v in value.items())
        )
    if isinstance(typ, type) and issubclass(typ, Enum):
        allowed = [m.value for m in typ]
        return lambda value: isinstance(value, typ) or value in allowed
    if typ is bool:
        return lambda value: isinstance(value, bool)
    if typ is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if typ is float:
        return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    if typ is str:
        return lambda value: isinstance(value, str)
    raise TypeError(f"unsupported type {typ!r}")  # pragma: no cover - a type this walker does not know


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@functools.cache
def _hints(typ: Any) -> dict[str, Any]:
    # get_type_hints evaluates every annotation anew; a TypedDict's never change.
    return typing.get_type_hints(typ)


def _check_typeddict(value: Mapping[str, Any], typ: Any, path: str) -> list[Problem]:
    hints = _hints(typ)
    problems: list[Problem] = []
    for key in value:
        if key not in hints:
            allowed = ", ".join(sorted(hints))
            hint = did_you_mean(str(key), hints)
            problems.append(Problem(_join(path, str(key)), f"unknown key{hint}; allowed: {allowed}"))
    for key in sorted(typ.__required_keys__):
        if key not in value:
            problems.append(Problem(_join(path, key), f"required: {_type_name(hints[key])}"))
    for key, field_type in hints.items():
        if key in value:
            problems.extend(_shape_problems(value[key], field_type, _join(path, key)))
    return problems


def _shaped(args: Mapping[str, Any], typ: Any, path: str) -> tuple[list[Problem], dict[str, Any]]:
    """Shape problems, and the plain value to check for meaning once there are none."""
    shape = check_shape(args, typ, path)
    return shape, ({} if shape else plain(args))


def plain(value: Any) -> Any:
    """A deep copy with Enum members replaced by their values, for the spec builders."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# -- semantic checks: only run on values whose shape is right -----------------


def dns_label(value: str, path: str, what: str = "a DNS label") -> list[Problem]:
    if DNS_LABEL.match(value):
        return []
    return [
        Problem(
            path,
            f"{value!r} is not {what}: 1 to 63 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit",
        )
    ]


def _pattern(value: str, pattern: re.Pattern[str], path: str, allowed: str) -> list[Problem]:
    return [] if pattern.match(value) else [Problem(path, f"{value!r} is not valid; allowed: {allowed}")]


def _range(value: float, low: float, high: float, path: str) -> list[Problem]:
    return [] if low <= value <= high else [Problem(path, f"{value} is out of range; allowed: {low} to {high}")]


def _resources(res: Mapping[str, Any], path: str) -> list[Problem]:
    return [
        p
        for key, val in res.items()
        for p in _pattern(val, QUANTITY, _join(path, key), 'a Kubernetes quantity such as "250m" or "128Mi"')
    ]


def _durations(obj: Mapping[str, Any], keys: Iterable[str], path: str) -> list[Problem]:
    return [
        p
        for key in keys
        if key in obj
        for p in _pattern(obj[key], DURATION, _join(path, key), 'a duration such as "500ms", "2s" or "1m"')
    ]


def _traffic_policy(tp: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    pool = tp.get("connection_pool", {})
    problems += _durations(pool, ["connect_timeout"], _join(path, "connection_pool"))
    for key, val in pool.items():
        if isinstance(val, int) and val < 1:
            problems.append(Problem(_join(_join(path, "connection_pool"), key), "must be at least 1"))
    outlier = tp.get("outlier_detection", {})
    opath = _join(path, "outlier_detection")
    problems += _durations(outlier, ["interval", "base_ejection_time"], opath)
    if "max_ejection_percent" in outlier:
        problems += _range(outlier["max_ejection_percent"], 0, 100, _join(opath, "max_ejection_percent"))
    if "consecutive_5xx_errors" in outlier and outlier["consecutive_5xx_errors"] < 1:
        problems.append(Problem(_join(opath, "consecutive_5xx_errors"), "must be at least 1"))
    return problems


def _retries(retries: Mapping[str, Any], path: str) -> list[Problem]:
    problems = _durations(retries, ["per_try_timeout"], path)
    if "attempts" in retries:
        problems += _range(retries["attempts"], 0, 10, _join(path, "attempts"))
    return problems


def _route(route: Mapping[str, Any], path: str, versions: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    if "name" in route:
        problems += dns_label(route["name"], _join(path, "name"))
    for i, match in enumerate(route.get("match", [])):
        mpath = _join(_join(path, "match"), i)
        if not match:
            problems.append(Problem(mpath, "an empty match matches everything; leave out `match` instead"))
        for header, sm in match.get("headers", {}).items():
            hpath = _join(_join(mpath, "headers"), header)
            problems += _pattern(header, HEADER_NAME, hpath, "a lower-case header name")
            if len(sm) != 1:
                problems.append(Problem(hpath, "set exactly one of exact, prefix, regex"))
        if "uri_prefix" in match and not match["uri_prefix"].startswith("/"):
            problems.append(Problem(_join(mpath, "uri_prefix"), "must start with '/'"))
    dests = route.get("destinations", [])
    dpath = _join(path, "destinations")
    seen: set[str] = set()
    for i, dest in enumerate(dests):
        problems += _version_ref(dest["version"], _join(_join(dpath, i), "version"), versions)
        if dest["version"] in seen:
            problems.append(Problem(_join(_join(dpath, i), "version"), f"{dest['version']!r} is listed twice"))
        seen.add(dest["version"])
        if "weight" in dest:
            problems += _range(dest["weight"], 0, 100, _join(_join(dpath, i), "weight"))
    if len(dests) > 1 or any("weight" in d for d in dests):
        total = sum(d.get("weight", 0 if len(dests) > 1 else 100) for d in dests)
        if total != 100:
            where = _join(_join(dpath, len(dests) - 1), "weight") if dests else dpath
            problems.append(Problem(where, f"weights add up to {total}; allowed: a total of 100"))
    if "retries" in route:
        problems += _retries(route["retries"], _join(path, "retries"))
    problems += _durations(route, ["timeout"], path)
    fault = route.get("fault", {})
    fpath = _join(path, "fault")
    if "fault" in route and "delay" not in fault and "abort_status" not in fault:
        problems.append(Problem(fpath, "set `delay`, `abort_status` or both"))
    problems += _durations(fault, ["delay"], fpath)
    for key in ("delay_percent", "abort_percent"):
        if key in fault:
            problems += _range(fault[key], 0, 100, _join(fpath, key))
    if "delay_percent" in fault and "delay" not in fault:
        problems.append(Problem(_join(fpath, "delay_percent"), "needs `delay`"))
    if "abort_percent" in fault and "abort_status" not in fault:
        problems.append(Problem(_join(fpath, "abort_percent"), "needs `abort_status`"))
    if "abort_status" in fault:
        problems += _range(fault["abort_status"], 200, 599, _join(fpath, "abort_status"))
    if "mirror" in route:
        mirror = route["mirror"]
        problems += _version_ref(mirror["version"], _join(_join(path, "mirror"), "version"), versions)
        if "percent" in mirror:
            problems += _range(mirror["percent"], 0, 100, _join(_join(path, "mirror"), "percent"))
    return problems


def _version_ref(version: str, path: str, versions: set[str]) -> list[Problem]:
    if version in versions:
        return []
    allowed = ", ".join(sorted(versions)) or "none declared"
    return [Problem(path, f"unknown version {version!r}{did_you_mean(version, versions)}; allowed: {allowed}")]


def mesh_service_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Every problem of a MeshService's arguments: shape first, then meaning."""
    shape, args = _shaped(args, a.MeshServiceArgs, path)
    if shape:
        return shape
    problems: list[Problem] = []
    problems += dns_label(args["namespace"], _join(path, "namespace"))
    if "service_name" in args:
        problems += dns_label(args["service_name"], _join(path, "service_name"))
    problems += _versions(args, path)
    problems += _ports(args["ports"], _join(path, "ports"))
    for key in ("replicas",):
        if key in args:
            problems += _range(args[key], 0, 1000, _join(path, key))
    for key, _val in args.get("env", {}).items():
        problems += _pattern(key, ENV_NAME, _join(_join(path, "env"), key), "a C identifier")
    if "resources" in args:
        problems += _resources(args["resources"], _join(path, "resources"))
    if "proxy" in args:
        proxy = args["proxy"]
        ppath = _join(path, "proxy")
        problems += _resources({k: v for k, v in proxy.items() if k != "log_level"}, ppath)
        levels = ["trace", "debug", "info", "warning", "error", "critical", "off"]
        if proxy.get("log_level", "warning") not in levels:
            problems.append(Problem(_join(ppath, "log_level"), f"allowed: {', '.join(levels)}"))
    versions = {v["name"] for v in args["versions"]}
    routes = args.get("routes", [])
    for i, route in enumerate(routes):
        rpath = _join(_join(path, "routes"), i)
        problems += _route(route, rpath, versions)
        if not route.get("match") and i < len(routes) - 1:
            problems.append(
                Problem(
                    _join(rpath, "match"),
                    "a route without `match` catches every request, so the routes after it never "
                    "match; move it last or give it a match",
                )
            )
    if "retries" in args:
        problems += _retries(args["retries"], _join(path, "retries"))
    problems += _durations(args, ["timeout"], path)
    if "traffic_policy" in args:
        problems += _traffic_policy(args["traffic_policy"], _join(path, "traffic_policy"))
    if "expose" in args:
        expose = args["expose"]
        epath = _join(path, "expose")
        gw = expose["gateway"].split("/")
        if len(gw) != 2 or any(not DNS_LABEL.match(part) for part in gw):
            problems.append(Problem(_join(epath, "gateway"), f"{expose['gateway']!r}: allowed: <namespace>/<name>"))
        for i, host in enumerate(expose.get("hosts", [])):
            problems += _pattern(host, HOST, _join(_join(epath, "hosts"), i), "a host name, '*' or '*.<domain>'")
    for i, caller in enumerate(args.get("allowed_callers", [])):
        cpath = _join(_join(path, "allowed_callers"), i)
        problems += dns_label(caller["namespace"], _join(cpath, "namespace"))
        problems += dns_label(caller["service_account"], _join(cpath, "service_account"))
        for j, p in enumerate(caller.get("paths", [])):
            if not p.startswith("/"):
                problems.append(Problem(_join(_join(cpath, "paths"), j), "must start with '/'"))
    if "health_path" in args and not args["health_path"].startswith("/"):
        problems.append(Problem(_join(path, "health_path"), "must start with '/'"))
    writable = args.get("writable_paths", [])
    for i, p in enumerate(writable):
        if not p.startswith("/") or p == "/":
            problems.append(Problem(_join(_join(path, "writable_paths"), i), "must be an absolute path below '/'"))
    if len(set(writable)) != len(writable):
        problems.append(Problem(_join(path, "writable_paths"), "lists a path twice"))
    if "run_as_user" in args and args["run_as_user"] < 1:
        problems.append(Problem(_join(path, "run_as_user"), "must be at least 1: pods run as non-root"))
    if "jwt" in args:
        jpath = _join(path, "jwt")
        if not args["jwt"]["issuer"]:
            problems.append(Problem(_join(jpath, "issuer"), "must not be empty"))
        if not re.match(r"^https://[^\s]+$", args["jwt"]["jwks_uri"]):
            problems.append(Problem(_join(jpath, "jwks_uri"), "allowed: an https:// URL"))
    if args["ports"] and args["ports"][0].get("protocol", "http") == "tcp" and "routes" in args:
        problems.append(
            Problem(_join(path, "routes"), "HTTP routes need an HTTP-like first port (http, http2, grpc), not tcp")
        )
    for i, host in enumerate(args.get("egress_hosts", [])):
        problems += _pattern(
            host,
            EGRESS_HOST,
            _join(_join(path, "egress_hosts"), i),
            '"<namespace>/<host>", "*/<host>" or "<namespace>/*"',
        )
    if "root_namespace" in args:
        problems += dns_label(args["root_namespace"], _join(path, "root_namespace"))
    for key in ("trust_domain", "cluster_domain"):
        if key in args:
            problems += _pattern(args[key], DOMAIN, _join(path, key), "a DNS name such as 'cluster.local'")
    if "part_of" in args:
        problems += _pattern(args["part_of"], LABEL_VALUE, _join(path, "part_of"), "a label value")
    if "injected_by" in args and not args["injected_by"].strip():
        problems.append(Problem(_join(path, "injected_by"), "must not be empty; leave it out instead"))
    if "autoscaling" in args:
        auto = args["autoscaling"]
        apath = _join(path, "autoscaling")
        problems += _range(auto["max_replicas"], 1, 1000, _join(apath, "max_replicas"))
        if "cpu_utilization" in auto:
            problems += _range(auto["cpu_utilization"], 1, 100, _join(apath, "cpu_utilization"))
    return problems


def _versions(args: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    vpath = _join(path, "versions")
    if not args["versions"]:
        problems.append(Problem(vpath, "needs at least one version"))
    seen: set[str] = set()
    for i, version in enumerate(args["versions"]):
        ipath = _join(vpath, i)
        problems += dns_label(version["name"], _join(ipath, "name"))
        if version["name"] in seen:
            problems.append(Problem(_join(ipath, "name"), f"{version['name']!r} is declared twice"))
        seen.add(version["name"])
        if not version["image"] or any(c.isspace() for c in version["image"]):
            problems.append(Problem(_join(ipath, "image"), "must be an image reference such as 'repo/app:1.2.3'"))
        if "replicas" in version:
            problems += _range(version["replicas"], 0, 1000, _join(ipath, "replicas"))
        for key in version.get("env", {}):
            problems += _pattern(key, ENV_NAME, _join(_join(ipath, "env"), key), "a C identifier")
        if "traffic_policy" in version:
            problems += _traffic_policy(version["traffic_policy"], _join(ipath, "traffic_policy"))
    return problems


def _ports(ports: list[Mapping[str, Any]], path: str) -> list[Problem]:
    problems: list[Problem] = []
    if not ports:
        problems.append(Problem(path, "needs at least one port"))
    numbers: set[int] = set()
    names: set[str] = set()
    for i, port in enumerate(ports):
        ipath = _join(path, i)
        problems += _range(port["port"], 1, 65535, _join(ipath, "port"))
        if port["port"] in numbers:
            problems.append(Problem(_join(ipath, "port"), f"port {port['port']} is declared twice"))
        numbers.add(port["port"])
        name = port_name(port)
        if not IANA_SVC_NAME.match(name) or len(name) > 15:
            problems.append(
                Problem(
                    _join(ipath, "name"),
                    f"port name {name!r} must be at most 15 lower-case letters, digits and '-'",
                )
            )
        if name in names:
            problems.append(Problem(_join(ipath, "name"), f"port name {name!r} is used twice"))
        names.add(name)
    return problems


def port_name(port: Mapping[str, Any]) -> str:
    """A port's name: the protocol, then the optional suffix, as Istio expects."""
    protocol = plain(port.get("protocol", a.Protocol.HTTP))
    return f"{protocol}-{port['name']}" if port.get("name") else str(protocol)


def control_plane_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Every problem of an IstioControlPlane's arguments."""
    shape, args = _shaped(args, a.IstioControlPlaneArgs, path)
    if shape:
        return shape
    problems: list[Problem] = []
    if "version" in args:
        problems += _pattern(args["version"], VERSION, _join(path, "version"), 'a chart version such as "1.30.3"')
    repo = args.get("repository")
    if repo is not None and not re.match(r"^(https?|oci)://[^\s]+$", repo):
        problems.append(Problem(_join(path, "repository"), f"{repo!r}: allowed: an https://, http:// or oci:// URL"))
    if "namespace" in args:
        problems += dns_label(args["namespace"], _join(path, "namespace"))
    if args.get("revision"):
        problems += dns_label(args["revision"], _join(path, "revision"))
    istiod = args.get("istiod", {})
    ipath = _join(path, "istiod")
    if "replicas" in istiod:
        problems += _range(istiod["replicas"], 1, 100, _join(ipath, "replicas"))
    if "autoscale_max" in istiod and istiod["autoscale_max"] < istiod.get("replicas", 1):
        problems.append(Problem(_join(ipath, "autoscale_max"), "must be at least `replicas`"))
    if "resources" in istiod:
        problems += _resources(istiod["resources"], _join(ipath, "resources"))
    if "tracing_sampling_percent" in args:
        problems += _range(args["tracing_sampling_percent"], 0, 100, _join(path, "tracing_sampling_percent"))
        if args["tracing_sampling_percent"] > 0 and "tracing" not in args:
            problems.append(
                Problem(
                    _join(path, "tracing_sampling_percent"),
                    "traces would go nowhere: Istio has no default tracing provider and silently traces "
                    "nothing; set `tracing` (an OpenTelemetry or Zipkin collector), or drop this key",
                )
            )
    if "tracing" in args:
        tpath = _join(path, "tracing")
        problems += _pattern(args["tracing"]["service"], HOST, _join(tpath, "service"), "a host name")
        if "port" in args["tracing"]:
            problems += _range(args["tracing"]["port"], 1, 65535, _join(tpath, "port"))
    for key in ("trust_domain", "cluster_domain"):
        if key in args:
            problems += _pattern(args[key], DOMAIN, _join(path, key), "a DNS name such as 'cluster.local'")
    for i, cidr in enumerate(args.get("jwks_blocked_cidrs", [])):
        problems += _cidr(cidr, _join(_join(path, "jwks_blocked_cidrs"), i))
    problems += _revision_problems(args, path)
    if "timeout_seconds" in args:
        problems += _range(args["timeout_seconds"], 30, 3600, _join(path, "timeout_seconds"))
    gateway = args.get("gateway")
    if gateway is not None:
        gpath = _join(path, "gateway")
        if "namespace" in gateway:
            problems += dns_label(gateway["namespace"], _join(gpath, "namespace"))
            if gateway["namespace"] == args.get("namespace", defaults.ISTIO_NAMESPACE):
                problems.append(Problem(_join(gpath, "namespace"), "must differ from the control plane's namespace"))
        if "replicas" in gateway:
            problems += _range(gateway["replicas"], 1, 100, _join(gpath, "replicas"))
        for i, host in enumerate(gateway.get("hosts", [])):
            problems += _pattern(host, HOST, _join(_join(gpath, "hosts"), i), "a host name, '*' or '*.<domain>'")
        if "tls_credential_name" in gateway:
            problems += dns_label(gateway["tls_credential_name"], _join(gpath, "tls_credential_name"))
        if "revision" in gateway:
            problems += revision_ref_problems(args, gateway["revision"], _join(gpath, "revision"))
        elif "revisions" in args:
            problems.append(
                Problem(
                    _join(gpath, "revision"),
                    "required with `revisions`: the revision tag whose istiod injects the gateway pods",
                )
            )
    return problems


def _cidr(value: str, path: str) -> list[Problem]:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return [Problem(path, f"{value!r} is not a CIDR such as '10.0.0.0/8' or 'fc00::/7'")]
    return []


def declared_revisions(args: Mapping[str, Any]) -> dict[str, str]:
    """Revisions of validated IstioControlPlaneArgs ("" for the default one) to their versions."""
    version = args.get("version", defaults.ISTIO_VERSION)
    if "revisions" in args:
        return {r["name"]: r.get("version", version) for r in args["revisions"]}
    return {args.get("revision", ""): version}


def revision_ref_problems(args: Mapping[str, Any], ref: str, path: str) -> list[Problem]:
    """Problems of a reference to a revision tag or revision of the control plane
    ``args`` (validated): it must name one that is declared."""
    tags = args.get("tags", {})
    revisions = [r for r in declared_revisions(args) if r]
    if ref in tags or ref in revisions or (not ref and "revisions" not in args):
        return []
    allowed = ", ".join([*sorted(tags), *revisions]) or "none declared"
    what = "no declared revision tag or revision" if ref else "no revision: with `revisions`, name a tag"
    return [Problem(path, f"{ref!r} is {what}{did_you_mean(ref, [*tags, *revisions])}; allowed: {allowed}")]


def _revision_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Revisions, tags and versions of a canary upgrade: names, references, and
    Istio's rules (base first, skip at most one minor version)."""
    problems: list[Problem] = []
    rpath = _join(path, "revisions")
    if "revisions" in args:
        if not args["revisions"]:
            problems.append(Problem(rpath, "needs at least one revision; leave it out for a single istiod"))
        if args.get("revision"):
            problems.append(
                Problem(
                    _join(path, "revision"),
                    "set `revision` or `revisions`, not both; with `revisions` namespaces and the gateway select a tag",
                )
            )
    seen: set[str] = set()
    valid: list[tuple[int, str, str]] = []
    base = args.get("version", defaults.ISTIO_VERSION)
    for i, rev in enumerate(args.get("revisions", [])):
        ipath = _join(rpath, i)
        problems += dns_label(rev["name"], _join(ipath, "name"))
        if rev["name"] in seen:
            problems.append(Problem(_join(ipath, "name"), f"{rev['name']!r} is declared twice"))
        seen.add(rev["name"])
        if "version" in rev:
            bad = _pattern(rev["version"], VERSION, _join(ipath, "version"), 'a chart version such as "1.30.5"')
            problems += bad
            if not bad:
                valid.append((i, rev["name"], rev["version"]))
        else:
            valid.append((i, rev["name"], base))
    if not VERSION.match(base):
        return problems
    for _, name, version in valid:
        if version_key(version) > version_key(base):
            problems.append(
                Problem(
                    _join(path, "version"),
                    f"base {base} is older than istiod revision {name!r} ({version}): base carries the CRDs "
                    "every revision needs and is upgraded first; raise `version` to the newest revision's",
                )
            )
    if valid:
        newest = max(valid, key=lambda v: version_key(v[2]))
        for i, _, version in valid:
            (major, minor), (new_major, new_minor) = minor_of(version), minor_of(newest[2])
            if major != new_major or new_minor - minor > 1:
                problems.append(
                    Problem(
                        _join(_join(rpath, i), "version"),
                        f"{version} is more than one minor version from revision {newest[1]!r} ({newest[2]}): "
                        "Istio upgrades skip at most one minor version; upgrade through the versions between",
                    )
                )
    revisions = [r for r in declared_revisions(args) if r]
    for tag, target in args.get("tags", {}).items():
        tpath = _join(_join(path, "tags"), tag)
        problems += dns_label(tag, tpath, "a tag name (a DNS label)")
        if target not in revisions:
            allowed = ", ".join(revisions) or "none declared: set `revisions` or `revision`"
            problems.append(
                Problem(
                    tpath,
                    f"points at revision {target!r}, which is not declared{did_you_mean(target, revisions)}; "
                    f"allowed: {allowed}",
                )
            )
        elif target == tag:
            problems.append(Problem(tpath, "a tag cannot have its revision's name"))
    return problems


def mesh_namespace_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Every problem of a MeshNamespace's arguments."""
    shape, args = _shaped(args, a.MeshNamespaceArgs, path)
    if shape:
        return shape
    problems: list[Problem] = []
    if "namespace_name" in args:
        problems += dns_label(args["namespace_name"], _join(path, "namespace_name"))
    if args.get("revision"):
        problems += dns_label(args["revision"], _join(path, "revision"))
    hosts: set[str] = set()
    for i, ext in enumerate(args.get("external_hosts", [])):
        epath = _join(_join(path, "external_hosts"), i)
        problems += _pattern(ext["host"], HOST, _join(epath, "host"), "a DNS name such as 'api.example.com'")
        if ext["host"] in hosts:
            problems.append(Problem(_join(epath, "host"), f"{ext['host']!r} is declared twice"))
        hosts.add(ext["host"])
        if "port" in ext:
            problems += _range(ext["port"], 1, 65535, _join(epath, "port"))
    for key in args.get("labels", {}):
        if key in ("istio-injection", "istio.io/rev"):
            problems.append(
                Problem(_join(_join(path, "labels"), key), "injection labels come from `revision`; set that instead")
            )
    return problems

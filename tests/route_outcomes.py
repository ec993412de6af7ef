"""What Istio 1.30 does with a request under a VirtualService and under an HTTPRoute, as
models the equivalence tests compare: the route chosen, its weights, mirror, timeout and
the retry policy Envoy receives."""

import copy
from typing import Any

import re2

from istio_mesh.control_plane_spec import control_plane_spec
from istio_mesh.service_spec import mesh_service_spec
from tests.conftest import service_args

VERSIONS = [{"name": v, "image": f"registry.example/review:{i}.0.0"} for i, v in enumerate(("v1", "v2", "v3"), 1)]
ALWAYS = "connect-failure,refused-stream,unavailable,cancelled"
"""The conditions Istio adds to every HTTPRoute retry (``convertHTTPRoute``)."""
GO_STATUS_CODES = {*range(400, 419), *range(421, 427), 428, 429, 431, 451, *range(500, 509), 510, 511}
"""The 4xx and 5xx codes Go's ``http.StatusText`` names: the numbers Istio reads as status codes in ``retryOn``."""

ROUTE_SETS: dict[str, list[dict[str, Any]]] = {
    "weighted canary": [{"destinations": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10}]}],
    "header A/B": [
        {"match": [{"headers": {"end-user": {"exact": "jason"}}}], "destinations": [{"version": "v2"}]},
        {"destinations": [{"version": "v1"}]},
    ],
    "prefix, regex and cookie matches": [
        {"match": [{"headers": {"x-team": {"prefix": "blue."}}}], "destinations": [{"version": "v3"}]},
        {"match": [{"headers": {"x-id": {"regex": "[0-9]+"}}}], "destinations": [{"version": "v2"}]},
        {"match": [{"cookie_regex": "^(.*?;)?(user=jason)(;.*)?$"}], "destinations": [{"version": "v2"}]},
        {"destinations": [{"version": "v1"}]},
    ],
    "path prefixes, longest first": [
        {"match": [{"uri_prefix": "/api/v2"}], "destinations": [{"version": "v2"}], "timeout": "3s"},
        {
            "match": [{"uri_prefix": "/api"}, {"headers": {"x-beta": {"exact": "1"}}}],
            "destinations": [{"version": "v3"}],
        },
        {"destinations": [{"version": "v1"}]},
    ],
    "mirror with percent and timeout": [
        {
            "destinations": [{"version": "v1", "weight": 80}, {"version": "v2", "weight": 20}],
            "mirror": {"version": "v3", "percent": 12.5},
            "timeout": "4s",
        }
    ],
    "default route": [],
}
"""Route lists both channels can say: no `retries` of their own (the mesh's policy applies)."""

RETRY_SETS: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
    "a route's retries with status codes beside one on the mesh's policy": (
        [
            {
                "match": [{"headers": {"end-user": {"exact": "jason"}}}],
                "destinations": [{"version": "v2"}],
                "retries": {
                    "attempts": 3,
                    "per_try_timeout": "1s",
                    "retry_on": f"{ALWAYS},retriable-status-codes,503,retriable-4xx",
                },
            },
            {"destinations": [{"version": "v1"}]},
        ],
        {},
    ),
    "a service's retries under routes that override attempts, conditions and timeout": (
        [
            {"match": [{"uri_prefix": "/api"}], "destinations": [{"version": "v2"}], "retries": {"attempts": 0}},
            {
                "destinations": [{"version": "v1", "weight": 70}, {"version": "v3", "weight": 30}],
                "retries": {"retry_on": f"{ALWAYS},502,503,504"},
                "timeout": "3s",
            },
        ],
        {"retries": {"attempts": 4, "per_try_timeout": "500ms", "retry_on": f"{ALWAYS},429"}},
    ),
    "a service's retries on its default route": ([], {"retries": {"attempts": 1, "per_try_timeout": "3s"}}),
}
"""Route lists with `retries`: the experimental channel's."""

REQUESTS = [
    {"path": path, "headers": headers}
    for path in ("/", "/api", "/api/v2", "/api/v2/items", "/api/v1/items", "/shop")
    for headers in (
        {},
        {"end-user": "jason"},
        {"end-user": "bob"},
        {"x-team": "blue.one"},
        {"x-team": "blue"},
        {"x-id": "123"},
        {"x-id": "12a"},
        {"cookie": "a=b; user=jason"},
        {"x-beta": "1", "end-user": "jason"},
    )
]


def compile_both(
    routes: list[dict[str, Any]], channel: str = "standard", **extra: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The mesh VirtualService, the mesh HTTPRoute (on ``channel``), and the HTTPRoute's per-version Services."""
    args = service_args(versions=copy.deepcopy(VERSIONS), **({"routes": routes} if routes else {}), **extra)
    istio = mesh_service_spec("review", args)
    gateway = mesh_service_spec("review", {**args, "traffic_api": "gateway-api", "gateway_api_channel": channel})
    (vs,) = [m for m in istio.istio if m["kind"] == "VirtualService"]
    (route,) = [m for m in gateway.istio if m["kind"] == "HTTPRoute"]
    services = {m["metadata"]["name"]: m for m in gateway.workloads if m["kind"] == "Service"}
    return vs, route, services


def mesh_default_retries(default_retries: dict[str, Any] | None = None) -> dict[str, Any]:
    """istiod's ``defaultHttpRetryPolicy`` for ``gateway-api`` with ``default_retries``."""
    args: dict[str, Any] = {"traffic_api": "gateway-api"}
    if default_retries is not None:
        args["default_retries"] = default_retries
    istiod = next(r for r in control_plane_spec(args).releases if r.key == "istiod")
    policy: dict[str, Any] = istiod.values["meshConfig"]["defaultHttpRetryPolicy"]
    return policy


def envoy_retry_policy(retries: dict[str, Any] | None) -> Any:
    """What Envoy retries under an Istio HTTPRetry (``retry.ConvertPolicy``): None without
    retries; else the tries, per-try timeout, reset and gRPC conditions, and the status codes
    retried (``retriable-status-codes`` with its list, ``retriable-4xx`` as 409, which is all Envoy reads it as)."""
    if retries is None or retries.get("attempts", 0) <= 0:
        return None
    conditions, codes = set(), set()
    for part in str(retries.get("retryOn", "")).split(","):
        part = part.strip()
        if part.isdigit() and int(part) in GO_STATUS_CODES:
            codes.add(int(part))
        elif part:
            conditions.add(part)
    if "retriable-4xx" in conditions:
        conditions.discard("retriable-4xx")
        codes.add(409)
    conditions.discard("retriable-status-codes")  # it retries on `codes`, which Istio sets when there are any
    return retries["attempts"], retries.get("perTryTimeout"), frozenset(conditions), frozenset(codes)


def _string(kind: str, pattern: str, value: str | None) -> bool:
    if value is None:
        return False
    if kind == "exact":
        return value == pattern
    if kind == "prefix":
        return value.startswith(pattern)
    return re2.fullmatch(pattern, value) is not None


def vs_outcome(vs: dict[str, Any], request: dict[str, Any]) -> Any:
    """What Istio does with a request under a VirtualService: its first matching route."""
    for route in vs["spec"]["http"]:
        matches = route.get("match") or [{}]
        if any(
            all(_string(*next(iter(sm.items())), request["headers"].get(h)) for h, sm in m.get("headers", {}).items())
            and ("uri" not in m or request["path"].startswith(m["uri"]["prefix"]))
            for m in matches
        ):
            weights = sorted((d["destination"].get("subset", "*"), d.get("weight", 100)) for d in route["route"])
            mirror = (route["mirror"]["subset"], route["mirrorPercentage"]["value"]) if "mirror" in route else None
            return weights, mirror, route["timeout"], envoy_retry_policy(route.get("retries"))
    return None


def _gateway_match(match: dict[str, Any], request: dict[str, Any]) -> bool:
    kinds = {"Exact": "exact", "RegularExpression": "regex"}
    if not all(
        _string(kinds[h["type"]], h["value"], request["headers"].get(h["name"])) for h in match.get("headers", [])
    ):
        return False
    path = match.get("path")
    if path is None:
        return True
    # PathPrefix matches whole segments.
    prefix = path["value"].rstrip("/")
    return bool(request["path"] == prefix or request["path"].startswith(prefix + "/"))


def _rank(match: dict[str, Any]) -> tuple[int, int, int]:
    path = match.get("path")
    return (2 if path else -1, len(path["value"]) if path else 0, len(match.get("headers", [])))


def istio_timeout_and_retries(rule: dict[str, Any], mesh_default: dict[str, Any]) -> tuple[Any, Any]:
    """An HTTPRoute rule's timeout and retries as Istio converts them (``convertHTTPRoute``):
    ``retry`` retries on the four conditions and its codes, 2 attempts unless set, none at 0;
    ``backendRequest`` is the per-try timeout under a retry, else the timeout; a rule without
    ``retry`` gets the mesh's policy."""
    timeouts = rule.get("timeouts", {})
    timeout, retries = timeouts.get("request"), None
    if "retry" in rule:
        retry = rule["retry"]
        retries = {
            "attempts": retry.get("attempts", 2),
            "retryOn": ",".join([ALWAYS, *map(str, retry.get("codes", []))]),
        }
        if retries["attempts"] == 0:
            retries["retryOn"] = ""
    if "backendRequest" in timeouts:
        if retries is not None:
            retries["perTryTimeout"] = timeouts["backendRequest"]
        else:
            timeout = timeouts["backendRequest"]
    return timeout, retries if retries is not None else mesh_default


def http_route_outcome(route: dict[str, Any], request: dict[str, Any], mesh_default: dict[str, Any]) -> Any:
    """What Istio does with a request under an HTTPRoute: one route per match, ranked by
    Gateway API's precedence (Istio's sortHTTPRoutes, stable), the first that matches."""
    flat = [(rule, m) for rule in route["spec"]["rules"] for m in (rule.get("matches") or [None])]
    flat.sort(key=lambda rm: (rm[1] is None, tuple(-x for x in _rank(rm[1] or {}))))
    for rule, match in flat:
        if match is None or _gateway_match(match, request):

            def version(name: str) -> str:
                return name.removeprefix("review-") if name != "review" else "*"

            weights = sorted(
                (version(b["name"]), b.get("weight", 1) if len(rule["backendRefs"]) > 1 else 100)
                for b in rule["backendRefs"]
            )
            mirror = None
            for f in rule.get("filters", []):
                m = f["requestMirror"]
                share = (
                    m["percent"] if "percent" in m else 100 * m["fraction"]["numerator"] / m["fraction"]["denominator"]
                )
                mirror = (version(m["backendRef"]["name"]), float(share))
            timeout, retries = istio_timeout_and_retries(rule, mesh_default)
            return weights, mirror, timeout, envoy_retry_policy(retries)
    return None

"""Retries on HTTPRoutes (Gateway API's experimental channel), as Istio 1.30 reads them: pure.

Istio converts an HTTPRoute rule's ``retry`` into a route's retry policy
(``convertHTTPRoute``): it always retries on ``connect-failure``, ``refused-stream``,
``unavailable`` and ``cancelled``, adds each of ``codes``, takes 2 ``attempts`` when
unset, and reads ``timeouts.backendRequest`` as the per-try timeout. A RetryArgs
compiles to exactly that, or is refused at its key:

- the four conditions Istio always adds must all be listed (else Istio would retry
  more than was asked);
- ``retriable-status-codes`` adds nothing of its own (Istio adds it with the codes);
- status codes become ``codes``, 400 to 599 as the CRD allows; ``retriable-4xx``,
  which Envoy reads as 409 alone, becomes code 409;
- ``5xx`` and ``gateway-error`` are refused: besides their status codes, Envoy retries
  under them requests reset after they were sent and tries that hit the per-try
  timeout, which no ``codes`` can say; so is every other condition;
- the per-try timeout may not outlast the route's timeout (a CEL rule of the CRD).

A route's or service's ``retries`` layer over the route defaults, as on a
VirtualService; routes whose service and route set none carry no ``retry``, and
Istio applies the mesh's policy (``default_retries``) to them.
"""

from collections.abc import Mapping
from typing import Any

from istio_mesh import defaults as d
from istio_mesh import grammar
from istio_mesh.shape import Problem, is_known, join

ALWAYS_RETRIED = ("connect-failure", "refused-stream", "unavailable", "cancelled")
"""The conditions Istio adds to every HTTPRoute ``retry``, in its order."""
NAMED_CODES = {"retriable-4xx": 409}
"""Envoy conditions that retry on one status code alone."""
CODES = (400, 599)
"""The status codes HTTPRoute's ``retry.codes`` take (the experimental CRD's bounds)."""
_RESETS = (
    "also retries requests reset after they were sent, and tries that hit the per-try timeout, "
    "which HTTPRoute's `retry.codes` cannot say"
)
_OUT = "or use `traffic_api: istio`"


def has_retries(args: Mapping[str, Any], route: Mapping[str, Any]) -> bool:
    """Whether the route's rule carries a ``retry``: its service or itself sets ``retries``."""
    return "retries" in args or "retries" in route


def layered(args: Mapping[str, Any], route: Mapping[str, Any]) -> dict[str, Any]:
    """The route's RetryArgs: its own over its service's over the route defaults."""
    retries: dict[str, Any] = {
        "attempts": d.RETRY.attempts,
        "per_try_timeout": d.RETRY.per_try_timeout,
        "retry_on": d.RETRY.retry_on,
    }
    return retries | dict(args.get("retries", {})) | dict(route.get("retries", {}))


def codes(retry_on: str) -> list[int]:
    """The status codes a valid ``retry_on`` retries on, in order, once each."""
    out: list[int] = []
    for condition in retry_on.split(","):
        code = NAMED_CODES.get(condition) or (int(condition) if condition.isdigit() else None)
        if code is not None and code not in out:
            out.append(code)
    return out


def http_route_retry(args: Mapping[str, Any], route: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The rule's ``retry`` and its ``timeouts.backendRequest`` (None without tries to time)."""
    retries = layered(args, route)
    if retries["attempts"] == 0:
        return {"attempts": 0}, None
    retry: dict[str, Any] = {"attempts": retries["attempts"]}
    found = codes(retries["retry_on"])
    if found:
        retry["codes"] = found
    return retry, retries["per_try_timeout"]


def retry_on_problems(retry_on: str, path: str) -> list[Problem]:
    """What of one ``retry_on`` Istio's HTTPRoute retries cannot say, one problem per condition."""
    problems: list[Problem] = []
    conditions = retry_on.split(",")
    for condition in conditions:
        if condition in ALWAYS_RETRIED or condition in NAMED_CODES or condition == "retriable-status-codes":
            continue
        if grammar.retry_on(condition) is not None:
            continue  # not Istio's at all: reported once, by the retry conditions' own check
        if condition.isdigit():
            if not CODES[0] <= int(condition) <= CODES[1]:
                problems.append(
                    Problem(path, f"status code {condition}: HTTPRoute's `retry.codes` take {CODES[0]} to {CODES[1]}")
                )
        elif condition == "gateway-error":
            problems.append(
                Problem(path, f"`gateway-error` {_RESETS}; write `502,503,504` to retry those responses, {_OUT}")
            )
        elif condition == "5xx":
            problems.append(
                Problem(path, f"`5xx` {_RESETS}; list the status codes to retry (such as `500,503`), {_OUT}")
            )
        else:
            problems.append(
                Problem(
                    path,
                    f"{condition!r}: Istio's HTTPRoute retries say only {', '.join(ALWAYS_RETRIED)}, status codes "
                    f"({CODES[0]} to {CODES[1]}) and `retriable-4xx`; drop it, {_OUT}",
                )
            )
    missing = [c for c in ALWAYS_RETRIED if c not in conditions]
    if missing:
        problems.append(
            Problem(
                path,
                f"Istio always retries HTTPRoute requests on {', '.join(ALWAYS_RETRIED)}: add "
                f"{', '.join(missing)} (it would retry on them unasked), {_OUT}",
            )
        )
    return problems


def retries_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """What of a service's ``retries`` (and its routes') an experimental-channel HTTPRoute cannot
    say, at its key: conditions, durations, and a per-try timeout longer than the route's."""
    problems: list[Problem] = []
    own, spath = args.get("retries", {}), join(path, "retries")
    if "retry_on" in own and layered(args, {})["attempts"]:
        problems += retry_on_problems(own["retry_on"], join(spath, "retry_on"))
    if "per_try_timeout" in own:
        problems += _duration(own["per_try_timeout"], join(spath, "per_try_timeout"))
    routes = list(args.get("routes") or [])
    if not routes and "retries" in args:
        problems += _outlasts(args, {}, path, None)
    for j, route in enumerate(routes):
        if not has_retries(args, route):
            continue
        rpath, own = join(join(path, "routes"), j), route.get("retries", {})
        if "retry_on" in own and layered(args, route)["attempts"]:
            problems += retry_on_problems(own["retry_on"], join(join(rpath, "retries"), "retry_on"))
        if "per_try_timeout" in own:
            problems += _duration(own["per_try_timeout"], join(join(rpath, "retries"), "per_try_timeout"))
        problems += _outlasts(args, route, path, rpath)
    unique: dict[tuple[str, str], Problem] = {(p.path, p.message): p for p in problems}
    return list(unique.values())


def _duration(value: str, path: str) -> list[Problem]:
    message = grammar.gateway_duration(value) if grammar.seconds(value) is not None else None
    return [Problem(path, message)] if message else []


def _outlasts(args: Mapping[str, Any], route: Mapping[str, Any], path: str, rpath: str | None) -> list[Problem]:
    """A per-try timeout longer than the route's timeout: the CRD refuses the rule."""
    retries = layered(args, route)
    timeout = route.get("timeout", args.get("timeout", d.SERVICE.timeout))
    if not retries["attempts"] or not is_known(timeout):
        return []
    per_try, whole = grammar.seconds(retries["per_try_timeout"]), grammar.seconds(str(timeout))
    if per_try is None or whole is None or per_try <= whole:
        return []
    # At the most specific key that sets either.
    candidates = [
        (rpath, ("retries", "per_try_timeout"), route),
        (rpath, ("timeout",), route),
        (path, ("retries", "per_try_timeout"), args),
        (path, ("timeout",), args),
    ]
    where = join(rpath or path, "retries")
    for base, keys, owner in candidates:
        value: Any = owner
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        if base is not None and value is not None:
            where = join(base, keys[0]) if len(keys) == 1 else join(join(base, keys[0]), keys[1])
            break
    return [
        Problem(
            where,
            f"the per-try timeout {retries['per_try_timeout']} outlasts the route's timeout {timeout}: HTTPRoute "
            "refuses a `timeouts.backendRequest` longer than `timeouts.request` (a CEL rule of the CRD); "
            "shorten `per_try_timeout` or lengthen `timeout`",
        )
    ]

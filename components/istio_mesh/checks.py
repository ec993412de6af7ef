"""Small checks shared by the argument validators: each returns the problems of one value at one key path."""

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from istio_mesh import grammar
from istio_mesh.shape import Problem, join

RESERVED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
"""Namespaces the cluster's own components run in: a component that took one over
would label it for injection and police its traffic. (The program refuses
``default`` as well, unless a stack allows it.)"""

MAX_HELM_RELEASE_NAME = 53
"""Helm refuses longer release names."""

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
"""Methods an AuthorizationPolicy can name; Istio compares them case-sensitively."""


def rule(check: Callable[[str], str | None], value: Any, path: str) -> list[Problem]:
    """A grammar check as a problem list. A value not known yet (an Output) is not
    checked here: the API server checks it once it resolves."""
    if not isinstance(value, str):
        return []
    message = check(value)
    return [Problem(path, message)] if message else []


def dns_label(value: str, path: str, what: str = "a DNS label") -> list[Problem]:
    """RFC 1123 label."""
    return rule(lambda v: grammar.dns_label(v, what), value, path)


def in_range(value: float, low: float, high: float, path: str) -> list[Problem]:
    """A number within bounds (NaN is not)."""
    return [] if low <= value <= high else [Problem(path, f"{value} is out of range; allowed: {low} to {high}")]


def at_least(value: float, low: float, path: str, why: str = "") -> list[Problem]:
    """A number no smaller than ``low``."""
    return [] if value >= low else [Problem(path, f"{value} is too small; allowed: at least {low}{why}")]


def durations(obj: Mapping[str, Any], keys: Iterable[str], path: str) -> list[Problem]:
    """The durations among ``keys`` of ``obj``."""
    return [p for key in keys if key in obj for p in rule(grammar.duration, obj[key], join(path, key))]


def absolute_path(value: str, path: str) -> list[Problem]:
    """A URL or file path: starts with '/', no whitespace or control characters."""
    if not isinstance(value, str) or (
        value.startswith("/") and value.isprintable() and not any(c.isspace() for c in value)
    ):
        return []
    return [Problem(path, f"{value!r}: allowed: a path starting with '/', without spaces or control characters")]


def printable(value: str, path: str, what: str = "text") -> list[Problem]:
    """Non-empty text with no control characters and no surrounding spaces."""
    if not isinstance(value, str) or (value and value.isprintable() and value == value.strip()):
        return []
    return [Problem(path, f"{value!r}: allowed: non-empty {what} without control characters or surrounding spaces")]


_QUANTITY_KEYS = (("cpu_request", "cpu_limit"), ("memory_request", "memory_limit"))


def resources(res: Mapping[str, str], defaults: Mapping[str, str], path: str) -> list[Problem]:
    """Quantities, and each request at most its limit once ``defaults`` fill the gaps."""
    problems: list[Problem] = []
    values: dict[str, Decimal] = {}
    for key, value in res.items():
        if not isinstance(value, str):
            continue  # not known yet: the API server checks it
        parsed = grammar.quantity(value)
        if parsed is None:
            problems.append(
                Problem(
                    join(path, key), f'{value!r} is not a Kubernetes quantity; allowed: such as "250m", "1", "128Mi"'
                )
            )
        elif parsed == 0 and key.endswith("_limit"):
            problems.append(Problem(join(path, key), "a limit of 0 lets nothing run; allowed: more than 0"))
        else:
            values[key] = parsed
    for request, limit in _QUANTITY_KEYS:
        if request not in res and limit not in res:
            continue
        low = values.get(request, grammar.quantity(defaults[request]) if request not in res else None)
        high = values.get(limit, grammar.quantity(defaults[limit]) if limit not in res else None)
        if not all(isinstance(res.get(k, ""), str) for k in (request, limit)):
            continue
        if low is not None and high is not None and low > high:
            given = request if request in res else limit
            low_text, high_text = res.get(request, defaults[request]), res.get(limit, defaults[limit])
            problems.append(
                Problem(
                    join(path, given),
                    f"request {low_text} is above limit {high_text}"
                    f"{'' if request in res and limit in res else ' (the default)'}; allowed: a request at most its limit",
                )
            )
    return problems


def reserved_namespace(value: str, path: str, also: Mapping[str, str] | None = None) -> list[Problem]:
    """Refuse namespaces the cluster (or, in ``also``, the control plane) owns."""
    owners = {**{ns: "the cluster" for ns in RESERVED_NAMESPACES}, **(also or {})}
    if value in owners:
        taken = ", ".join(sorted(owners))
        return [Problem(path, f"{value!r} belongs to {owners[value]}; not allowed here: {taken}")]
    return []

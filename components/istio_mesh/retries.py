"""A retry policy (RetryArgs): what Istio accepts of one, and its form as Istio reads it
(VirtualService routes, istiod's mesh-wide default); pure."""

from collections.abc import Mapping
from typing import Any

from istio_mesh import defaults as d
from istio_mesh import grammar
from istio_mesh.checks import durations, in_range, rule
from istio_mesh.shape import Problem, join


def retries_problems(retries: Mapping[str, Any], path: str) -> list[Problem]:
    """Problems of RetryArgs (shape already checked), as Istio's validation would find them."""
    problems = durations(retries, ["per_try_timeout"], path)
    if "attempts" in retries:
        problems += in_range(retries["attempts"], 0, 10, join(path, "attempts"))
    if "retry_on" in retries:
        problems += rule(grammar.retry_on, retries["retry_on"], join(path, "retry_on"))
    return problems


def retry_policy(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """RetryArgs layered over the defaults (later layers win), in Istio's camelCase; with no
    attempts, the attempts alone."""
    retries: dict[str, Any] = {
        "attempts": d.RETRY.attempts,
        "per_try_timeout": d.RETRY.per_try_timeout,
        "retry_on": d.RETRY.retry_on,
    }
    for layer in layers:
        retries |= layer
    if retries["attempts"] == 0:
        # Istio refuses a disabled policy that still sets a per-try timeout or conditions.
        return {"attempts": 0}
    return {
        "attempts": retries["attempts"],
        "perTryTimeout": retries["per_try_timeout"],
        "retryOn": retries["retry_on"],
    }

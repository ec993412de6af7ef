"""A retry policy as Istio reads it (VirtualService routes, istiod's mesh-wide default): pure."""

from collections.abc import Mapping
from typing import Any

from istio_mesh import defaults as d


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

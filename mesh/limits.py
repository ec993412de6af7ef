"""The README's table of enforced limits, from the grammars and the program's own rules."""

from istio_mesh.grammar import LIMITS
from istio_mesh.validation import RESERVED_NAMESPACES
from mesh.analysis.uniqueness import MAX_OBJECT_BYTES

PROGRAM_LIMITS = {
    "app namespaces": f"not {', '.join(f'`{ns}`' for ns in RESERVED_NAMESPACES)}, nor `default` (unless "
    "`allow_default_namespace: true`), nor the control plane's or the gateway's namespace; the control plane "
    "and the gateway not in the cluster's",
    "derived objects": "unique per kind, namespace and name, and per Pulumi URN, across the whole stack; "
    "a collision names both config keys",
    "object size": f"at most {MAX_OBJECT_BYTES / 2**20:.1f} MiB per object (etcd's request limit)",
}
"""Limits only a whole environment knows."""


def markdown_limits() -> str:
    """One row per enforced rule."""
    rows = ["| what | allowed |", "|---|---|"]
    rows += [f"| {what} | {allowed} |" for what, allowed in {**LIMITS, **PROGRAM_LIMITS}.items()]
    return "\n".join(rows)

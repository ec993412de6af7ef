"""Identity and size: every object identity and Pulumi URN occurs once, and every object fits the API server.

Structural, not by naming luck: whatever derives a name, two objects that end up
with the same (group, kind, namespace, name) would overwrite each other in the
cluster, and two resources with the same URN stop ``pulumi preview``.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import Inventory, object_name, ref

T = TypeVar("T")

MAX_OBJECT_BYTES = 1_572_864
"""1.5 MiB: etcd's default request limit, and so the largest object the API server stores."""


def object_key(manifest: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(API group, kind, namespace, name): what the API server keys an object by."""
    group = str(manifest.get("apiVersion", "")).rpartition("/")[0]
    meta = manifest.get("metadata") or {}
    return group, str(manifest.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name", ""))


def describe(key: tuple[str, str, str, str]) -> str:
    """``Kind namespace/name`` for a message."""
    _, kind, namespace, name = key
    return f"{kind} {namespace + '/' if namespace else ''}{name}"


def collisions(items: Iterable[tuple[Any, T]]) -> list[tuple[Any, T, T]]:
    """(key, first owner, later owner) for each key met more than once."""
    first: dict[Any, T] = {}
    out = []
    for key, owner in items:
        if key in first:
            out.append((key, first[key], owner))
        else:
            first[key] = owner
    return out


def uniqueness_findings(inventory: Inventory) -> list[Finding]:
    """MESH0301 for objects that share an identity, MESH0302 for resources that share a URN."""
    findings = []
    objects = [(object_key(r.inputs), r) for r in inventory.custom() if "kind" in r.inputs]
    for key, a, b in collisions(objects):
        findings.append(
            finding("MESH0301", ref(b), "metadata.name", f"{describe(key)} is also registered as {a.name!r}")
        )
    for urn, a, b in collisions((r.urn, r) for r in inventory.resources):
        findings.append(finding("MESH0302", ref(b), "", f"URN {urn} is also that of {object_name(a)!r}"))
    for res in inventory.custom():
        size = object_size(res.inputs)
        if size > MAX_OBJECT_BYTES:
            findings.append(finding("MESH0303", ref(res), "", f"{size / 2**20:.1f} MiB"))
    return findings


def object_size(manifest: Mapping[str, Any]) -> int:
    """Bytes of a manifest as compact JSON, as it is sent to the API server."""
    return len(json.dumps(manifest, separators=(",", ":"), default=str).encode())

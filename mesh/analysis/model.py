"""The analysis' input: objects as plain manifests, with the ordering facts Pulumi gives them.

Nothing here knows how the objects were obtained (a plan, a mock run, a real
engine): ``Resource`` is a manifest plus the identity, parent and dependencies
that order it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
"""Pulumi type of a Helm release."""


@dataclass(frozen=True)
class Resource:
    """One object the program registers (or plans to)."""

    type: str
    """Pulumi type, such as ``kubernetes:apps/v1:Deployment``."""
    name: str
    """Pulumi resource name."""
    urn: str
    """Identity in the ordering graph."""
    parent: str
    """URN of the parent, "" for none."""
    dependencies: tuple[str, ...]
    """URNs of explicit dependencies."""
    protect: bool
    retain_on_delete: bool
    custom: bool
    """A real object, not a component."""
    inputs: dict[str, Any]
    """The manifest (or the release's inputs)."""

    @property
    def kind(self) -> str:
        """The Kubernetes kind, or the Pulumi type for anything else."""
        return str(self.inputs.get("kind") or self.type.rsplit(":", 1)[-1])


def object_name(res: Resource) -> str:
    """The Kubernetes name (or Helm release name) of a resource."""
    meta = res.inputs.get("metadata") or {}
    return str(meta.get("name") or res.inputs.get("name") or res.name)


def namespace_of(res: Resource) -> str:
    """The object's namespace, "" for cluster-scoped ones."""
    return str((res.inputs.get("metadata") or {}).get("namespace") or res.inputs.get("namespace") or "")


def ref(res: Resource) -> str:
    """``Kind/namespace/name``, as findings name objects."""
    ns = namespace_of(res)
    return f"{res.kind}/{ns + '/' if ns else ''}{object_name(res)}"


@dataclass
class Inventory:
    """Every resource of one environment."""

    resources: list[Resource] = field(default_factory=list)

    @classmethod
    def of_manifests(cls, manifests: Iterable[Mapping[str, Any]]) -> "Inventory":
        """Manifests not yet registered: no parents, no dependencies."""
        inventory = cls()
        for i, manifest in enumerate(manifests):
            meta = manifest.get("metadata", {})
            inventory.resources.append(
                Resource(
                    type=f"planned:{manifest['apiVersion']}:{manifest['kind']}",
                    name=str(meta.get("name", i)),
                    urn=f"planned::{i}",
                    parent="",
                    dependencies=(),
                    protect=False,
                    retain_on_delete=False,
                    custom=True,
                    inputs=dict(manifest),
                )
            )
        return inventory

    def by_urn(self) -> dict[str, Resource]:
        """Resources keyed by URN (rebuilt only when resources were added)."""
        cached = self.__dict__.get("_by_urn")
        if cached is None or len(cached) != len(self.resources):
            cached = {r.urn: r for r in self.resources}
            self.__dict__["_by_urn"] = cached
        return cached

    def custom(self) -> list[Resource]:
        """Only the real objects (not components), in a stable order."""
        cached = self.__dict__.get("_custom")
        if cached is None or self.__dict__.get("_custom_of") != len(self.resources):
            cached = sorted((r for r in self.resources if r.custom), key=lambda r: r.urn)
            self.__dict__["_custom"], self.__dict__["_custom_of"] = cached, len(self.resources)
        return list(cached)

    def find(self, kind: str, name: str | None = None) -> list[Resource]:
        """Objects of a kind, optionally of one metadata or release name."""
        return [r for r in self.custom() if r.kind == kind and (name is None or object_name(r) == name)]

    def component_of(self, res: Resource) -> str:
        """Name of the top-level component a resource belongs to."""
        by_urn = self.by_urn()
        current = res
        while current.parent in by_urn:
            current = by_urn[current.parent]
        return current.name

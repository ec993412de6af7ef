"""The mesh analysis: plain manifests (with ordering facts) in, findings out.

``check`` runs everything on an inventory; ``preflight`` runs what needs no
registration (schemas and ordering aside) on planned manifests, before anything
is registered. The analysis knows nothing of Pulumi's runtime or mocks.
"""

import os
from collections.abc import Iterable

from mesh.analysis.annotations import annotation_findings, deprecation_findings
from mesh.analysis.authorization import authorization_findings
from mesh.analysis.findings import ERROR, INFO, RULES, SEVERITIES, WARNING, Finding, finding, format_finding, ordered
from mesh.analysis.gateway_api import gateway_api_findings, gateway_api_ordering_findings
from mesh.analysis.model import Inventory, Resource
from mesh.analysis.ordering import ordering_findings
from mesh.analysis.risks import risk_findings
from mesh.analysis.routing import routing_findings
from mesh.analysis.schemas import KUBERNETES_VERSION, schema_findings
from mesh.analysis.uniqueness import uniqueness_findings
from mesh.analysis.upgrades import root_namespace, upgrade_findings
from mesh.analysis.workloads import workload_findings

__all__ = [
    "ERROR",
    "INFO",
    "RULES",
    "SEVERITIES",
    "WARNING",
    "Finding",
    "Inventory",
    "Resource",
    "check",
    "finding",
    "format_finding",
    "mesh_findings",
    "ordered",
    "preflight",
]


def mesh_findings(inventory: Inventory, declared: Iterable[tuple[str, str]] | None = None) -> list[Finding]:
    """Routing, uniqueness, risks, upgrades and, given the declared calls, authorization."""
    findings = routing_findings(inventory) + uniqueness_findings(inventory) + risk_findings(inventory)
    findings += upgrade_findings(inventory) + gateway_api_findings(inventory)
    if declared is not None:
        findings += authorization_findings(inventory, declared, root_namespace(inventory))
    return findings


def preflight(inventory: Inventory, declared: Iterable[tuple[str, str]]) -> list[Finding]:
    """The mesh analysis on planned objects before anything is registered (ordering
    aside, which only registrations show)."""
    return ordered(mesh_findings(inventory, declared))


def check(
    inventory: Inventory,
    crds: str | os.PathLike[str] | None = None,
    kubernetes_version: str = KUBERNETES_VERSION,
    declared: Iterable[tuple[str, str]] | None = None,
    gateway_api_crds: str | os.PathLike[str] | None = None,
    alpha_annotations: bool = False,
    gateway_api_channel: str = "standard",
) -> list[Finding]:
    """Every finding for one environment. The Pod-reading analyzers, annotations and deprecated
    fields run here only: they need the whole inventory (the gateway's Helm release for its Pods).
    Gateway API objects are checked against the CRDs of ``gateway_api_channel`` unless
    ``gateway_api_crds`` names a file or folder."""
    findings = schema_findings(inventory, crds, kubernetes_version, gateway_api_crds, gateway_api_channel)
    findings += ordering_findings(inventory)
    findings += gateway_api_ordering_findings(inventory)
    findings += workload_findings(inventory) + annotation_findings(inventory, alpha_annotations)
    findings += deprecation_findings(inventory)
    return ordered(findings + mesh_findings(inventory, declared))

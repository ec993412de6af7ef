"""Ordering analysis: workloads after istiod, Istio resources after base and istiod."""

from collections import defaultdict
from collections.abc import Callable

from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import Inventory, object_name, ref
from mesh.analysis.schemas import is_istio


def ordered_after(inventory: Inventory) -> Callable[[str], set[str]]:
    """Everything a resource is created after: its dependencies, theirs, and so on.
    A dependency on a component counts as one on each of its descendants, as in Pulumi.
    A child also comes after its parent and whatever the parent comes after: Pulumi
    registers a child once its parent is registered, and the parent once its
    `depends_on` is done."""
    by_urn = inventory.by_urn()
    children: dict[str, list[str]] = defaultdict(list)
    for res in inventory.resources:
        children[res.parent].append(res.urn)
    memo: dict[str, set[str]] = {}

    def descendants(urn: str) -> set[str]:
        out = {urn}
        for child in children.get(urn, []):
            out |= descendants(child)
        return out

    def after(urn: str) -> set[str]:
        if urn not in memo:
            memo[urn] = set()  # cycles end here
            res = by_urn.get(urn)
            found: set[str] = set()
            if res and res.parent in by_urn:
                found |= {res.parent} | after(res.parent)
            for dep in res.dependencies if res else ():
                for target in descendants(dep):
                    found |= {target} | after(target)
            memo[urn] = found
        return memo[urn]

    return after


def ordering_findings(inventory: Inventory) -> list[Finding]:
    """Workloads must wait for istiod (injection); custom resources for base (CRDs) and istiod (validation)."""
    releases = {object_name(r): r.urn for r in inventory.find("Release")}
    base = releases.get("istio-base")
    # One istiod in place, or one per revision ("istiod-<rev>") in a canary upgrade.
    istiods: set[str | None] = {u for n, u in releases.items() if n == "istiod" or n.startswith("istiod-")} or {None}
    after = ordered_after(inventory)
    findings = []
    for res in inventory.custom():
        deps = after(res.urn)
        if res.kind == "Deployment" and not istiods <= deps:
            findings.append(
                finding("MESH0101", ref(res), "", "not ordered after istiod: pods may start without a sidecar")
            )
        if is_istio(res.inputs) and not {base, *istiods} <= deps:
            findings.append(
                finding(
                    "MESH0102",
                    ref(res),
                    "",
                    "not ordered after the base and istiod releases: its CRD or validation webhook may be missing",
                )
            )
    return findings

"""Authorization analysis: from the rendered policies, is a call allowed exactly when it is declared?"""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import Inventory
from mesh.analysis.routing import selects

_PRINCIPAL = re.compile(r"[^/]+/ns/([^/]+)/sa/([^/]+)")  # any trust domain


def workload_identities(inventory: Inventory) -> dict[str, tuple[str, str, dict[str, str]]]:
    """app name -> (namespace, service account, pod labels), from the Deployments."""
    out = {}
    for res in inventory.find("Deployment"):
        pod = res.inputs["spec"]["template"]
        out[pod["metadata"]["labels"]["app"]] = (
            res.inputs["metadata"]["namespace"],
            pod["spec"].get("serviceAccountName", "default"),
            pod["metadata"]["labels"],
        )
    return out


@dataclass(frozen=True)
class Admission:
    """Which peer identities Istio's authorization admits to one workload."""

    anyone: bool
    """Any peer identity (no ALLOW policy applies, or one admits all)."""
    principals: frozenset[tuple[str, str]]
    """(namespace, service account) pairs admitted by name."""
    denied: frozenset[tuple[str, str]]
    """Identities a DENY rule blocks for every request."""
    deny_all: bool
    """A DENY rule blocks every peer for every request."""

    def admits(self, identity: tuple[str, str]) -> bool:
        """Whether some request from ``identity`` gets through."""
        if self.deny_all or identity in self.denied:
            return False
        return self.anyone or identity in self.principals


def _identities(source: Mapping[str, Any]) -> tuple[bool, set[tuple[str, str]]]:
    """(any peer, named peers) a rule source matches on peer identity alone."""
    principals = source.get("principals")
    if principals is None:
        return True, set()
    named = set()
    for p in principals:
        if p == "*":
            return True, set()
        m = _PRINCIPAL.fullmatch(p)
        if m:
            named.add((m.group(1), m.group(2)))
    return False, named


class PolicyIndex:
    """AuthorizationPolicy specs by namespace, indexed by one pair of their selector."""

    def __init__(self, by_namespace: Mapping[str, list[dict[str, Any]]]) -> None:
        self._all: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._by_label: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        self._targeted: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for ns, specs in by_namespace.items():
            for spec in specs:
                if spec.get("targetRefs"):
                    # Enforced by the waypoint of each Service named (ambient).
                    for target in spec["targetRefs"]:
                        if target.get("kind") == "Service":
                            self._targeted[(ns, target["name"])].append(spec)
                    continue
                selector = (spec.get("selector") or {}).get("matchLabels") or {}
                if selector:
                    key, value = next(iter(selector.items()))
                    self._by_label[(ns, key, value)].append(spec)
                else:
                    self._all[ns].append(spec)

    @classmethod
    def of(cls, inventory: Inventory) -> "PolicyIndex":
        """The policies of an inventory."""
        by_ns: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for res in inventory.find("AuthorizationPolicy"):
            by_ns[res.inputs["metadata"]["namespace"]].append(res.inputs.get("spec") or {})
        return cls(by_ns)

    def targeting(self, namespace: str, service: str) -> list[dict[str, Any]]:
        """Policies that a Service's waypoint enforces (``targetRefs`` naming it)."""
        return list(self._targeted.get((namespace, service), []))

    def selecting(self, namespaces: Iterable[str], labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """Policies in ``namespaces`` whose selector matches ``labels``."""
        found = []
        for ns in namespaces:
            found += self._all.get(ns, [])
            for key, value in labels.items():
                found += [
                    spec
                    for spec in self._by_label.get((ns, key, value), [])
                    if selects(spec["selector"]["matchLabels"], labels)
                ]
        return found


def admission(
    policies: PolicyIndex,
    namespace: str,
    labels: Mapping[str, str],
    root: str = "istio-system",
    waypoint_of: str | None = None,
) -> Admission:
    """Istio's ALLOW/DENY semantics for one workload, from the policies that select it.

    Request-level conditions (JWT principals) decide per request, not per peer:
    a DENY on them does not block a peer outright, and an ALLOW on them admits it.
    """
    applicable = (
        policies.targeting(namespace, waypoint_of)
        if waypoint_of is not None
        else policies.selecting(sorted({namespace, root}), labels)
    )
    anyone, deny_all, any_allow = False, False, False
    principals: set[tuple[str, str]] = set()
    denied: set[tuple[str, str]] = set()
    for spec in applicable:
        action = spec.get("action", "ALLOW")
        if action not in ("ALLOW", "DENY"):
            continue
        any_allow = any_allow or action == "ALLOW"
        for rule in spec.get("rules") or []:
            sources = [src.get("source", {}) for src in rule.get("from") or [{}]]
            request_level = any(k in src for src in sources for k in ("requestPrincipals", "notRequestPrincipals"))
            conditional = bool(rule.get("to") or rule.get("when"))
            for src in sources:
                every, named = _identities(src)
                if action == "ALLOW":
                    anyone, principals = anyone or every, principals | named
                elif not request_level and not conditional:
                    deny_all, denied = deny_all or every, denied | named
    return Admission(anyone or not any_allow, frozenset(principals), frozenset(denied), deny_all)


def waypoints_by_service(inventory: Inventory) -> dict[tuple[str, str], str]:
    """(namespace, Service) -> the waypoint (and its ServiceAccount) it uses (ambient)."""
    namespace_waypoint = {
        r.inputs["metadata"]["name"]: (r.inputs["metadata"].get("labels") or {}).get("istio.io/use-waypoint")
        for r in inventory.find("Namespace")
    }
    out = {}
    for svc in inventory.find("Service"):
        meta = svc.inputs["metadata"]
        ns = meta.get("namespace", "default")
        name = (meta.get("labels") or {}).get("istio.io/use-waypoint") or namespace_waypoint.get(ns)
        if name and name != "none":
            out[(ns, meta["name"])] = name
    return out


def allowed(inventory: Inventory, caller: tuple[str, str], callee_app: str) -> bool:
    """Whether any request from identity ``caller`` reaches ``callee_app``, from the rendered policies alone."""
    ns, _, labels = workload_identities(inventory)[callee_app]
    return admission(PolicyIndex.of(inventory), ns, labels).admits(caller)


def authorization_findings(
    inventory: Inventory, declared: Iterable[tuple[str, str]], root: str = "istio-system"
) -> list[Finding]:
    """Policies that block a declared call, or admit an undeclared caller. Linear in
    workloads, policies and declared calls: no pair of workloads is enumerated."""
    identities = workload_identities(inventory)
    policies = PolicyIndex.of(inventory)
    by_identity = {(ns, sa): app for app, (ns, sa, _) in identities.items()}
    callers: dict[str, set[str]] = defaultdict(set)
    for caller, callee in declared:
        callers[callee].add(caller)
    waypoints = waypoints_by_service(inventory)
    findings: list[Finding] = []
    for callee, (ns, _, labels) in identities.items():
        obj = f"AuthorizationPolicy/{ns}/{callee}"
        waypoint = waypoints.get((ns, callee))
        if waypoint is not None:
            # Ambient: callers reach the pods through the waypoint, which enforces the
            # targeted policies; ztunnel, in front of the pods, sees only the waypoint.
            if not admission(policies, ns, labels, root).admits((ns, waypoint)):
                findings.append(
                    finding(
                        "MESH0201",
                        obj,
                        "spec.rules",
                        f"{callee}'s pods do not admit its waypoint {waypoint}, so every call through it is denied",
                    )
                )
            adm = admission(policies, ns, labels, root, waypoint_of=callee)
        else:
            adm = admission(policies, ns, labels, root)
        for caller in sorted(callers[callee]):
            if caller in identities and not adm.admits(identities[caller][:2]):
                findings.append(
                    finding("MESH0201", obj, "spec.rules", f"{caller} calls {callee}, but the policies deny it")
                )
        if adm.anyone and not adm.deny_all:
            undeclared = sorted(a for a in identities if a != callee and a not in callers[callee])
            if undeclared:
                listed = ", ".join(undeclared[:3]) + (", ..." if len(undeclared) > 3 else "")
                findings.append(
                    finding(
                        "MESH0202",
                        obj,
                        "spec.rules",
                        f"{callee} admits any caller, so undeclared ones too ({listed})",
                        "add a default-deny policy, or give the service its own ALLOW policy",
                    )
                )
            continue
        for identity in sorted(adm.principals - adm.denied):
            app = by_identity.get(identity)
            if app and app != callee and app not in callers[callee]:
                findings.append(
                    finding(
                        "MESH0202",
                        obj,
                        "spec.rules",
                        f"{app} may call {callee} without declaring it",
                        "declare the call, or drop the rule",
                    )
                )
    return findings

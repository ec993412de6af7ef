"""``check``: schemas and mesh analysis of everything a stack registers.

Each finding carries an Istio analyzer code where one exists (IST....), else a
code of ours (MESH....), so that a stack is known broken before a cluster is.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mesh.offline import HELM_RELEASE, OfflineRun, Registration, object_name
from mesh.schemas import CRDS_ENV, KUBERNETES_VERSION, crd_path, is_istio, istio_schemas, kubernetes_errors

PROTOCOL_PREFIXES = ("http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "mongo", "mysql", "redis", "udp")


@dataclass(frozen=True)
class Finding:
    """One problem found in what a stack registers."""

    code: str
    severity: str
    """"error" stops a deploy; "warning" is reported only."""
    object: str
    """Kind/namespace/name of the object."""
    path: str
    """Field path inside the object."""
    message: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        """Stable JSON form."""
        return asdict(self)


def _ref(reg: Registration) -> str:
    ns = (reg.inputs.get("metadata") or {}).get("namespace") or reg.inputs.get("namespace") or ""
    return f"{reg.kind}/{ns + '/' if ns else ''}{object_name(reg)}"


def schema_findings(
    run: OfflineRun, crds: str | None = None, kubernetes_version: str = KUBERNETES_VERSION
) -> list[Finding]:
    """Strict schema validation of every Kubernetes and Istio object."""
    findings = []
    path = crd_path(crds)
    schemas = istio_schemas(path) if path.exists() else None
    unchecked = 0
    for reg in run.custom():
        if reg.type == HELM_RELEASE:
            continue
        manifest = reg.inputs
        if is_istio(manifest) and schemas is None:
            unchecked += 1
            continue
        errors = (
            schemas.errors(manifest)
            if schemas and is_istio(manifest)
            else kubernetes_errors(manifest, kubernetes_version)
        )
        for err in errors:
            field, _, message = err.partition(": ")
            findings.append(
                Finding("MESH0001", "error", _ref(reg), field, message, "fix the field to match the kind's schema")
            )
    if unchecked:
        findings.append(
            Finding(
                "MESH0002",
                "warning",
                "(stack)",
                "",
                f"Istio CRDs not found at {path}: {unchecked} Istio objects not schema-checked",
                f"pass --crds or set ${CRDS_ENV}",
            )
        )
    return findings


def _services(run: OfflineRun) -> dict[str, Registration]:
    out = {}
    for reg in run.find("Service"):
        meta = reg.inputs["metadata"]
        out[f"{meta['name']}.{meta.get('namespace', 'default')}.svc.cluster.local"] = reg
    return out


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _pods_by_service(run: OfflineRun, services: Mapping[str, Registration]) -> dict[str, list[dict[str, str]]]:
    """Pod labels of the Deployments each Service (by host) selects."""
    # Indexed by (namespace, label, value), so that a large namespace stays linear.
    index: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for reg in run.find("Deployment"):
        labels = reg.inputs["spec"]["template"]["metadata"].get("labels", {})
        ns = reg.inputs["metadata"].get("namespace", "default")
        for key, value in labels.items():
            index[(ns, key, value)].append(labels)
    out: dict[str, list[dict[str, str]]] = {}
    for host, svc in services.items():
        selector = svc.inputs["spec"].get("selector") or {}
        ns = svc.inputs["metadata"].get("namespace", "default")
        candidates = min((index.get((ns, k, v), []) for k, v in selector.items()), key=len, default=[])
        out[host] = [p for p in candidates if _selects(selector, p)]
    return out


def _fqdn(host: str, namespace: str) -> str:
    if "." not in host:
        return f"{host}.{namespace}.svc.cluster.local"
    parts = host.split(".")
    if len(parts) == 2:
        return f"{host}.svc.cluster.local"
    if len(parts) > 3 and parts[2] == "svc":  # whatever the cluster's domain: compared as cluster.local
        return ".".join(parts[:3]) + ".cluster.local"
    return host


def mesh_findings(run: OfflineRun, ordering: bool = True) -> list[Finding]:
    """Istio analyzer's cases, found before a cluster would."""
    findings: list[Finding] = []
    services = _services(run)
    subsets: dict[str, set[str]] = defaultdict(set)
    pods = _pods_by_service(run, services)
    for dr in run.find("DestinationRule"):
        ns = dr.inputs["metadata"].get("namespace", "default")
        host = _fqdn(dr.inputs["spec"]["host"], ns)
        for i, subset in enumerate(dr.inputs["spec"].get("subsets", [])):
            subsets[host].add(subset["name"])
            labels = subset.get("labels", {})
            if not any(all(p.get(k) == v for k, v in labels.items()) for p in pods.get(host, [])):
                findings.append(
                    Finding(
                        "IST0173",
                        "warning",
                        _ref(dr),
                        f"spec.subsets[{i}]",
                        f"subset {subset['name']!r} selects no pod",
                        "add the version, or drop the subset",
                    )
                )
    mesh_hosts: dict[str, list[str]] = defaultdict(list)
    for vs in run.find("VirtualService"):
        ns = vs.inputs["metadata"].get("namespace", "default")
        spec = vs.inputs["spec"]
        if "mesh" in spec.get("gateways", ["mesh"]):
            if "*" in spec.get("hosts", []):
                findings.append(
                    Finding(
                        "MESH0103",
                        "error",
                        _ref(vs),
                        "spec.hosts",
                        "host '*' on a VirtualService bound to the mesh: Istio's validation rejects it",
                        "bind the '*' host to the gateway in a VirtualService of its own",
                    )
                )
            for host in spec.get("hosts", []):
                if host != "*" and not host.startswith("*."):
                    mesh_hosts[_fqdn(host, ns)].append(_ref(vs))
        routes = spec.get("http", [])
        for i, route in enumerate(routes):
            rpath = f"spec.http[{i}]"
            if i > 0 and any(not r.get("match") for r in routes[:i]):
                findings.append(
                    Finding(
                        "IST0130",
                        "error",
                        _ref(vs),
                        rpath,
                        "this route follows a catch-all route and never matches",
                        "move the catch-all route last",
                    )
                )
            targets = [
                (f"{rpath}.route[{j}].destination", d["destination"]) for j, d in enumerate(route.get("route", []))
            ]
            if "mirror" in route:
                targets.append((f"{rpath}.mirror", route["mirror"]))
            for where, dest in targets:
                findings += _destination_findings(vs, where, dest, ns, services, subsets)
    for host, refs in mesh_hosts.items():
        if len(refs) > 1:
            for ref in refs:
                findings.append(
                    Finding(
                        "IST0109",
                        "error",
                        ref,
                        "spec.hosts",
                        f"host {host} is also routed by {', '.join(r for r in refs if r != ref)}",
                        "merge the VirtualServices",
                    )
                )
    for svc in run.find("Service"):
        for i, port in enumerate(svc.inputs["spec"].get("ports", [])):
            name = port.get("name", "")
            if not port.get("appProtocol") and not any(
                name == p or name.startswith(f"{p}-") for p in PROTOCOL_PREFIXES
            ):
                findings.append(
                    Finding(
                        "IST0118",
                        "warning",
                        _ref(svc),
                        f"spec.ports[{i}].name",
                        f"port name {name!r} gives Istio no protocol",
                        "name it <protocol>[-suffix] or set appProtocol",
                    )
                )
    for ns in run.find("Namespace"):
        labels = ns.inputs["metadata"].get("labels", {})
        if "istio-injection" in labels and "istio.io/rev" in labels:
            findings.append(
                Finding(
                    "IST0123",
                    "error",
                    _ref(ns),
                    "metadata.labels",
                    "both istio-injection and istio.io/rev are set",
                    "keep one injection label",
                )
            )
    if ordering:
        findings += ordering_findings(run)
    return findings


def _destination_findings(
    vs: Registration,
    where: str,
    dest: Mapping[str, Any],
    ns: str,
    services: Mapping[str, Registration],
    subsets: Mapping[str, set[str]],
) -> list[Finding]:
    host = _fqdn(dest["host"], ns)
    svc = services.get(host)
    if svc is None:
        return [
            Finding(
                "IST0101",
                "error",
                _ref(vs),
                f"{where}.host",
                f"host {host} is no Service of this stack",
                "route to a declared service",
            )
        ]
    out = []
    if "subset" in dest and dest["subset"] not in subsets.get(host, set()):
        out.append(
            Finding(
                "IST0101",
                "error",
                _ref(vs),
                f"{where}.subset",
                f"subset {dest['subset']!r} of {host} is not defined",
                "declare the version, or route elsewhere",
            )
        )
    if len(svc.inputs["spec"].get("ports", [])) > 1 and "port" not in dest:
        out.append(
            Finding(
                "IST0112",
                "error",
                _ref(vs),
                where,
                f"{host} has several ports and no port is given",
                "set destination.port",
            )
        )
    return out


def ordered_after(run: OfflineRun) -> Callable[[str], set[str]]:
    """Everything a resource is created after: its dependencies, theirs, and so on.
    A dependency on a component counts as one on each of its descendants, as in Pulumi.
    A child also comes after its parent and whatever the parent comes after: Pulumi
    registers a child once its parent is registered, and the parent once its
    `depends_on` is done."""
    by_urn = run.by_urn()
    children: dict[str, list[str]] = defaultdict(list)
    for reg in run.registrations:
        children[reg.parent].append(reg.urn)
    memo: dict[str, set[str]] = {}

    def descendants(urn: str) -> set[str]:
        out = {urn}
        for child in children.get(urn, []):
            out |= descendants(child)
        return out

    def after(urn: str) -> set[str]:
        if urn not in memo:
            memo[urn] = set()  # cycles end here
            reg = by_urn.get(urn)
            found: set[str] = set()
            if reg and reg.parent in by_urn:
                found |= {reg.parent} | after(reg.parent)
            for dep in reg.dependencies if reg else ():
                for target in descendants(dep):
                    found |= {target} | after(target)
            memo[urn] = found
        return memo[urn]

    return after


def ordering_findings(run: OfflineRun) -> list[Finding]:
    """Workloads must wait for istiod (injection); custom resources for base (CRDs) and istiod (validation)."""
    releases = {object_name(r): r.urn for r in run.find("Release")}
    base = releases.get("istio-base")
    # One istiod in place, or one per revision ("istiod-<rev>") in a canary upgrade.
    istiods: set[str | None] = {u for n, u in releases.items() if n == "istiod" or n.startswith("istiod-")} or {None}
    after = ordered_after(run)
    findings = []
    for reg in run.custom():
        deps = after(reg.urn)
        if reg.kind == "Deployment" and not istiods <= deps:
            findings.append(
                Finding(
                    "MESH0101",
                    "error",
                    _ref(reg),
                    "",
                    "not ordered after istiod: pods may start without a sidecar",
                    "add the control plane to depends_on",
                )
            )
        if is_istio(reg.inputs) and not {base, *istiods} <= deps:
            findings.append(
                Finding(
                    "MESH0102",
                    "error",
                    _ref(reg),
                    "",
                    "not ordered after the base and istiod releases: its CRD or validation webhook may be missing",
                    "add the control plane to depends_on",
                )
            )
    return findings


# -- authorization ---------------------------------------------------------------

_PRINCIPAL = re.compile(r"^[^/]+/ns/([^/]+)/sa/([^/]+)$")  # any trust domain


def workload_identities(run: OfflineRun) -> dict[str, tuple[str, str, dict[str, str]]]:
    """app name -> (namespace, service account, pod labels), from the Deployments."""
    out = {}
    for reg in run.find("Deployment"):
        pod = reg.inputs["spec"]["template"]
        out[pod["metadata"]["labels"]["app"]] = (
            reg.inputs["metadata"]["namespace"],
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
        m = _PRINCIPAL.match(p)
        if m:
            named.add((m.group(1), m.group(2)))
    return False, named


class PolicyIndex:
    """AuthorizationPolicy specs by namespace, indexed by one pair of their selector."""

    def __init__(self, by_namespace: Mapping[str, list[dict[str, Any]]]) -> None:
        self._all: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._by_label: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for ns, specs in by_namespace.items():
            for spec in specs:
                selector = (spec.get("selector") or {}).get("matchLabels") or {}
                if selector:
                    key, value = next(iter(selector.items()))
                    self._by_label[(ns, key, value)].append(spec)
                else:
                    self._all[ns].append(spec)

    @classmethod
    def of(cls, run: OfflineRun) -> "PolicyIndex":
        """The policies a run registers."""
        by_ns: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for reg in run.find("AuthorizationPolicy"):
            by_ns[reg.inputs["metadata"]["namespace"]].append(reg.inputs.get("spec") or {})
        return cls(by_ns)

    def selecting(self, namespaces: Iterable[str], labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """Policies in ``namespaces`` whose selector matches ``labels``."""
        found = []
        for ns in namespaces:
            found += self._all.get(ns, [])
            for key, value in labels.items():
                found += [
                    spec
                    for spec in self._by_label.get((ns, key, value), [])
                    if _selects(spec["selector"]["matchLabels"], labels)
                ]
        return found


def admission(
    policies: PolicyIndex, namespace: str, labels: Mapping[str, str], root: str = "istio-system"
) -> Admission:
    """Istio's ALLOW/DENY semantics for one workload, from the policies that select it.

    Request-level conditions (JWT principals) decide per request, not per peer:
    a DENY on them does not block a peer outright, and an ALLOW on them admits it.
    """
    applicable = policies.selecting(sorted({namespace, root}), labels)
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


def allowed(run: OfflineRun, caller: tuple[str, str], callee_app: str) -> bool:
    """Whether any request from identity ``caller`` reaches ``callee_app``, from the rendered policies alone."""
    ns, _, labels = workload_identities(run)[callee_app]
    return admission(PolicyIndex.of(run), ns, labels).admits(caller)


def authorization_findings(
    run: OfflineRun, declared: Iterable[tuple[str, str]], root: str = "istio-system"
) -> list[Finding]:
    """Policies that block a declared call, or admit an undeclared caller. Linear in
    workloads, policies and declared calls: no pair of workloads is enumerated."""
    identities = workload_identities(run)
    policies = PolicyIndex.of(run)
    by_identity = {(ns, sa): app for app, (ns, sa, _) in identities.items()}
    callers: dict[str, set[str]] = defaultdict(set)
    for caller, callee in declared:
        callers[callee].add(caller)
    findings: list[Finding] = []
    for callee, (ns, _, labels) in identities.items():

        def policy_error(code: str, message: str, fix: str, callee_ns: str = ns, app: str = callee) -> None:
            findings.append(
                Finding(code, "error", f"AuthorizationPolicy/{callee_ns}/{app}", "spec.rules", message, fix)
            )

        adm = admission(policies, ns, labels, root)
        for caller in sorted(callers[callee]):
            if caller in identities and not adm.admits(identities[caller][:2]):
                policy_error(
                    "MESH0201", f"{caller} calls {callee}, but the policies deny it", "allow the caller's principal"
                )
        if adm.anyone and not adm.deny_all:
            undeclared = sorted(a for a in identities if a != callee and a not in callers[callee])
            if undeclared:
                listed = ", ".join(undeclared[:3]) + (", ..." if len(undeclared) > 3 else "")
                policy_error(
                    "MESH0202",
                    f"{callee} admits any caller, so undeclared ones too ({listed})",
                    "add a default-deny policy, or give the service its own ALLOW policy",
                )
            continue
        for identity in sorted(adm.principals - adm.denied):
            app = by_identity.get(identity)
            if app and app != callee and app not in callers[callee]:
                policy_error(
                    "MESH0202", f"{app} may call {callee} without declaring it", "declare the call, or drop the rule"
                )
    return findings


def planned_run(manifests: Iterable[Mapping[str, Any]]) -> OfflineRun:
    """Manifests not yet registered, seen as a run, so that the same analysis applies."""
    run = OfflineRun()
    for i, manifest in enumerate(manifests):
        meta = manifest.get("metadata", {})
        run.registrations.append(
            Registration(
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
    return run


def preflight(
    manifests: Iterable[Mapping[str, Any]], declared: Iterable[tuple[str, str]], root: str = "istio-system"
) -> list[Finding]:
    """The mesh analysis on manifests before anything is registered (ordering aside,
    which only registrations show)."""
    run = planned_run(manifests)
    findings = mesh_findings(run, ordering=False) + authorization_findings(run, declared, root)
    return sorted(set(findings), key=lambda f: (f.severity != "error", f.object, f.code, f.path))


def check(
    run: OfflineRun,
    crds: str | None = None,
    kubernetes_version: str = KUBERNETES_VERSION,
    declared: Iterable[tuple[str, str]] | None = None,
) -> list[Finding]:
    """Every finding for one run."""
    findings = schema_findings(run, crds, kubernetes_version) + mesh_findings(run)
    from mesh.upgrade_checks import of_run, root_namespace  # imported here: it imports this module

    if declared is not None:
        findings += authorization_findings(run, declared, root_namespace(run))
    findings += of_run(run)
    return sorted(set(findings), key=lambda f: (f.severity != "error", f.object, f.code, f.path))


def format_finding(f: Finding) -> str:
    """One finding for a person."""
    return f"{f.severity.upper():7} {f.code}  {f.object}  {f.path}\n        {f.message}\n        fix: {f.fix}"


def format_text(stack: str, run: OfflineRun, findings: list[Finding]) -> str:
    """Findings for a person."""
    errors = sum(f.severity == "error" for f in findings)
    lines = [format_finding(f) for f in findings]
    lines.append(
        f"stack {stack!r}: {len(run.custom())} objects checked, {errors} errors, {len(findings) - errors} warnings"
    )
    return "\n".join(lines)

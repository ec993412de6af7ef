"""``check``: schemas and mesh analysis of everything a stack registers.

Each finding carries an Istio analyzer code where one exists (IST....), else a
code of ours (MESH....), so that a stack is known broken before a cluster is.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
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


def _manifest(reg: Registration) -> dict[str, Any]:
    return reg.inputs


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
        manifest = _manifest(reg)
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


def _pod_labels(run: OfflineRun) -> list[tuple[str, dict[str, str]]]:
    return [
        (
            reg.inputs["metadata"].get("namespace", "default"),
            reg.inputs["spec"]["template"]["metadata"].get("labels", {}),
        )
        for reg in run.find("Deployment")
    ]


def _fqdn(host: str, namespace: str) -> str:
    if "." not in host:
        return f"{host}.{namespace}.svc.cluster.local"
    parts = host.split(".")
    if len(parts) == 2:
        return f"{host}.svc.cluster.local"
    return host


def mesh_findings(run: OfflineRun, ordering: bool = True) -> list[Finding]:
    """Istio analyzer's cases, found before a cluster would."""
    findings: list[Finding] = []
    services = _services(run)
    subsets: dict[str, set[str]] = defaultdict(set)
    pods = _pod_labels(run)
    for dr in run.find("DestinationRule"):
        ns = dr.inputs["metadata"].get("namespace", "default")
        host = _fqdn(dr.inputs["spec"]["host"], ns)
        for i, subset in enumerate(dr.inputs["spec"].get("subsets", [])):
            subsets[host].add(subset["name"])
            labels = subset.get("labels", {})
            if not any(
                pns == ns and all(pl.get(k) == v for k, v in labels.items()) and pl.get("app") for pns, pl in pods
            ):
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


def ordering_findings(run: OfflineRun) -> list[Finding]:
    """Workloads must wait for istiod (injection); custom resources for base (CRDs) and istiod (validation)."""
    releases = {object_name(r): r.urn for r in run.find("Release")}
    base, istiod = releases.get("istio-base"), releases.get("istiod")
    findings = []
    for reg in run.custom():
        deps = set(reg.dependencies)
        if reg.kind == "Deployment" and istiod not in deps:
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
        if is_istio(reg.inputs) and not {base, istiod} <= deps:
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

_PRINCIPAL = re.compile(r"^cluster\.local/ns/([^/]+)/sa/([^/]+)$")


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


def allowed(run: OfflineRun, caller: tuple[str, str], callee_app: str) -> bool:
    """Whether Istio's ALLOW/DENY semantics admit any request from identity ``caller`` to ``callee_app``.

    Computed from the rendered AuthorizationPolicies alone: DENY first, then, if any
    ALLOW policy applies to the workload, at least one rule must match.
    """
    ns, _sa, labels = workload_identities(run)[callee_app]
    applicable = []
    for reg in run.find("AuthorizationPolicy"):
        meta, spec = reg.inputs["metadata"], reg.inputs.get("spec") or {}
        root = meta["namespace"] == "istio-system"
        if meta["namespace"] != ns and not root:
            continue
        selector = (spec.get("selector") or {}).get("matchLabels", {})
        if all(labels.get(k) == v for k, v in selector.items()):
            applicable.append(spec)

    def matches(rule: Mapping[str, Any]) -> bool:
        sources = rule.get("from")
        if not sources:
            return True
        for src in sources:
            principals = src.get("source", {}).get("principals")
            if principals is None:
                return True
            for p in principals:
                m = _PRINCIPAL.match(p)
                if p == "*" or (m and m.groups() == (caller[0], caller[1])):
                    return True
        return False

    if any(s.get("action") == "DENY" and any(matches(r) for r in s.get("rules", [])) for s in applicable):
        return False
    allow = [s for s in applicable if s.get("action", "ALLOW") == "ALLOW"]
    if not allow:
        return True
    return any(matches(r) for s in allow for r in s.get("rules", []))


def authorization_findings(run: OfflineRun, declared: Iterable[tuple[str, str]]) -> list[Finding]:
    """Policies that block a declared call, or admit an undeclared caller."""
    identities = workload_identities(run)
    wanted = set(declared)
    findings = []
    for caller, (cns, csa, _) in identities.items():
        for callee in identities:
            if caller == callee:
                continue
            ok = allowed(run, (cns, csa), callee)
            if (caller, callee) in wanted and not ok:
                findings.append(
                    Finding(
                        "MESH0201",
                        "error",
                        f"AuthorizationPolicy/{identities[callee][0]}/{callee}",
                        "spec.rules",
                        f"{caller} calls {callee}, but the policies deny it",
                        "allow the caller's principal",
                    )
                )
            if (caller, callee) not in wanted and ok:
                findings.append(
                    Finding(
                        "MESH0202",
                        "error",
                        f"AuthorizationPolicy/{identities[callee][0]}/{callee}",
                        "spec.rules",
                        f"{caller} may call {callee} without declaring it",
                        "add a default-deny policy, or declare the call",
                    )
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


def preflight(manifests: Iterable[Mapping[str, Any]], declared: Iterable[tuple[str, str]]) -> list[Finding]:
    """The mesh analysis on manifests before anything is registered (ordering aside,
    which only registrations show)."""
    run = planned_run(manifests)
    findings = mesh_findings(run, ordering=False) + authorization_findings(run, declared)
    return sorted(set(findings), key=lambda f: (f.severity != "error", f.object, f.code, f.path))


def check(
    run: OfflineRun,
    crds: str | None = None,
    kubernetes_version: str = KUBERNETES_VERSION,
    declared: Iterable[tuple[str, str]] | None = None,
) -> list[Finding]:
    """Every finding for one run."""
    findings = schema_findings(run, crds, kubernetes_version) + mesh_findings(run)
    if declared is not None:
        findings += authorization_findings(run, declared)
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

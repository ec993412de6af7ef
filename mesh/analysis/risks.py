"""Valid but dangerous: configurations the API server and Istio accept that silently weaken the mesh."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from istio_mesh.grammar import env_prefix, seconds
from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import Inventory, Resource, namespace_of, object_name, ref
from mesh.analysis.routing import fqdn, services_by_host


def risk_findings(inventory: Inventory) -> list[Finding]:
    """Every MESH04xx warning."""
    return [
        *_gateway_findings(inventory),
        *_route_findings(inventory),
        *_workload_findings(inventory),
        *_mtls_findings(inventory),
    ]


def _gateways_of(vs: Resource) -> list[str]:
    ns = namespace_of(vs) or "default"
    return [g if "/" in g else f"{ns}/{g}" for g in vs.inputs["spec"].get("gateways", []) if g != "mesh"]


def _catch_all(vs: Resource) -> bool:
    return any(not route.get("match") for route in vs.inputs["spec"].get("http", []))


def _gateway_findings(inventory: Inventory) -> list[Finding]:
    findings = []
    bound: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    used: set[str] = set()
    for vs in inventory.find("VirtualService"):
        for gateway in _gateways_of(vs):
            used.add(gateway)
            for host in vs.inputs["spec"].get("hosts", []):
                bound[(gateway, host)].append(vs)
    for (gateway, host), services in bound.items():
        if len(services) > 1 and any(_catch_all(vs) for vs in services):
            names = ", ".join(ref(vs) for vs in services)
            for vs in services:
                findings.append(
                    finding(
                        "MESH0401", ref(vs), "spec.hosts", f"host {host!r} on gateway {gateway} is bound by {names}"
                    )
                )
    for gw in inventory.find("Gateway"):
        if not str(gw.inputs.get("apiVersion", "")).startswith("networking.istio.io/"):
            continue
        key = f"{namespace_of(gw)}/{object_name(gw)}"
        if key not in used:
            findings.append(finding("MESH0403", ref(gw), "", f"no VirtualService is bound to gateway {key}"))
    return findings


def _route_findings(inventory: Inventory) -> list[Finding]:
    findings = []
    for vs in inventory.find("VirtualService"):
        for i, route in enumerate(vs.inputs["spec"].get("http", [])):
            path = f"spec.http[{i}]"
            mirror = route.get("mirror")
            weighted = {
                (d["destination"].get("host"), d["destination"].get("subset"))
                for d in route.get("route", [])
                if d.get("weight", 100) > 0
            }
            if mirror and (mirror.get("host"), mirror.get("subset")) in weighted:
                findings.append(
                    finding(
                        "MESH0402",
                        ref(vs),
                        f"{path}.mirror",
                        f"mirror {mirror.get('subset') or mirror.get('host')!r} also takes this route's traffic: "
                        "it receives those requests twice",
                    )
                )
            retries, timeout = route.get("retries") or {}, seconds(str(route.get("timeout", "")))
            per_try = seconds(str(retries.get("perTryTimeout", "")))
            attempts = retries.get("attempts", 0)
            if timeout and per_try and attempts and per_try * (attempts + 1) > timeout:
                findings.append(
                    finding(
                        "MESH0409",
                        ref(vs),
                        f"{path}.retries",
                        f"{attempts + 1} tries of {retries['perTryTimeout']} outlast the timeout of {route['timeout']}",
                    )
                )
            abort = (route.get("fault") or {}).get("abort")
            if abort and not route.get("match") and (abort.get("percentage") or {}).get("value", 100) >= 100:
                findings.append(finding("MESH0410", ref(vs), f"{path}.fault.abort", "every request is aborted"))
    for http_route in inventory.find("HTTPRoute"):
        for i, rule in enumerate(http_route.inputs["spec"].get("rules", [])):
            # As Istio reads an HTTPRoute: 2 attempts unless set, `backendRequest` per try.
            timeouts, retry = rule.get("timeouts") or {}, rule.get("retry")
            attempts = (retry or {}).get("attempts", 2)
            per_try, timeout = (
                seconds(str(timeouts.get("backendRequest", ""))),
                seconds(str(timeouts.get("request", ""))),
            )
            if retry is not None and timeout and per_try and attempts and per_try * (attempts + 1) > timeout:
                findings.append(
                    finding(
                        "MESH0409",
                        ref(http_route),
                        f"spec.rules[{i}].retry",
                        f"{attempts + 1} tries of {timeouts['backendRequest']} outlast the timeout of "
                        f"{timeouts['request']}",
                    )
                )
    return findings


def _env(deployment: Resource) -> dict[str, str]:
    containers = deployment.inputs["spec"]["template"]["spec"].get("containers", [])
    return {e["name"]: e["value"] for c in containers for e in c.get("env", []) if isinstance(e.get("value"), str)}


def _workload_findings(inventory: Inventory) -> list[Finding]:
    findings = []
    services = services_by_host(inventory)
    deployments = inventory.find("Deployment")
    if not deployments and not services:
        findings.append(finding("MESH0404", "(stack)", "", "no workloads: only the control plane is installed"))
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for host, svc in services.items():
        by_prefix[env_prefix(object_name(svc))].append(host)
    called: dict[str, list[Resource]] = defaultdict(list)
    for dep in deployments:
        ns = namespace_of(dep) or "default"
        for name, value in _env(dep).items():
            if name.endswith("_HOST") and value in services:
                called[value].append(dep)
            hosts = by_prefix.get(name[: -len("_HOST")], []) if name.endswith("_HOST") else []
            if hosts and fqdn(value, ns) not in hosts:
                findings.append(
                    finding(
                        "MESH0405",
                        ref(dep),
                        f"spec.template.spec.containers[0].env[{name}]",
                        f"{name} is {value!r}, not the service's host {' or '.join(hosts)}",
                    )
                )
    scaled = {
        (namespace_of(h), h.inputs["spec"]["scaleTargetRef"]["name"]) for h in inventory.find("HorizontalPodAutoscaler")
    }
    jwt_required = {
        (namespace_of(p), (p.inputs["spec"].get("selector") or {}).get("matchLabels", {}).get("app"))
        for p in inventory.find("AuthorizationPolicy")
        if _denies_without_token(p.inputs.get("spec") or {})
    }
    by_app: dict[tuple[str | None, Any], list[Resource]] = defaultdict(list)
    for dep in deployments:
        by_app[namespace_of(dep), _labels(dep).get("app")].append(dep)
    for host, callers in called.items():
        svc = services[host]
        ns, app = namespace_of(svc), (svc.inputs["spec"].get("selector") or {}).get("app")
        versions = by_app[ns, app]
        if versions and all(
            d.inputs["spec"].get("replicas", 1) == 0 and (ns, object_name(d)) not in scaled for d in versions
        ):
            names = ", ".join(sorted({ref(c) for c in callers}))
            findings.append(finding("MESH0406", ref(svc), "", f"every version runs 0 replicas, yet {names} call it"))
        if (ns, app) in jwt_required:
            names = ", ".join(sorted({ref(c) for c in callers}))
            findings.append(
                finding("MESH0408", ref(svc), "", f"a JWT is required here, and {names} call it without one")
            )
    return findings


def _labels(dep: Resource) -> Mapping[str, str]:
    labels: Mapping[str, str] = dep.inputs["spec"]["template"]["metadata"].get("labels", {})
    return labels


def _denies_without_token(spec: Mapping[str, Any]) -> bool:
    return spec.get("action") == "DENY" and any(
        "notRequestPrincipals" in (src.get("source") or {})
        for rule in spec.get("rules") or []
        for src in rule.get("from") or []
    )


def _mtls_findings(inventory: Inventory) -> Iterable[Finding]:
    for pa in inventory.find("PeerAuthentication"):
        mode = ((pa.inputs.get("spec") or {}).get("mtls") or {}).get("mode")
        if mode in ("PERMISSIVE", "DISABLE"):
            yield finding("MESH0407", ref(pa), "spec.mtls.mode", f"mode {mode}: plain text is accepted")

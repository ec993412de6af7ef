"""Gateway API and ambient analysis: routes that resolve, CRDs and node agents in order,
and no sidecar-only configuration where no sidecar runs."""

import itertools

from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import HELM_RELEASE, Inventory, namespace_of, object_name, ref
from mesh.analysis.ordering import ordered_after
from mesh.analysis.schemas import is_gateway_api

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
"""Pulumi type of a manifest file applied as is (the Gateway API CRDs)."""
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute")
AMBIENT_ORDER = ("istio-base", "istiod", "istio-cni", "ztunnel")
"""Releases of an ambient control plane, in install order; gateways come after them."""


def gateway_api_findings(inventory: Inventory) -> list[Finding]:
    """MESH0602, MESH0605, MESH0503 (Gateway API listeners) and IST0167: routes whose references resolve to nothing, and Sidecars in
    ambient namespaces."""
    findings = _reference_findings(inventory) + _sidecar_findings(inventory) + _unbound_gateways(inventory)
    return findings + _tls_secrets(inventory)


def _tls_secrets(inventory: Inventory) -> list[Finding]:
    """MESH0503 for Gateway API listeners: a certificate Secret the stack does not create."""
    secrets = {(namespace_of(s), object_name(s)) for s in inventory.find("Secret")}
    findings = []
    for gateway in inventory.find("Gateway"):
        if not is_gateway_api(gateway.inputs):
            continue
        ns = namespace_of(gateway)
        for i, listener in enumerate(gateway.inputs["spec"].get("listeners") or []):
            for j, cert in enumerate((listener.get("tls") or {}).get("certificateRefs") or []):
                key = (cert.get("namespace", ns), cert["name"])
                if key not in secrets:
                    findings.append(
                        finding(
                            "MESH0503",
                            ref(gateway),
                            f"spec.listeners[{i}].tls.certificateRefs[{j}]",
                            f"TLS secret {key[0]}/{key[1]} is not managed by this stack: HTTPS fails until it exists",
                        )
                    )
    return findings


def _unbound_gateways(inventory: Inventory) -> list[Finding]:
    """MESH0605: an ingress Gateway (not a waypoint) that no route binds answers every request with 404."""
    bound = {
        (parent.get("namespace", namespace_of(route)), parent["name"])
        for kind in ROUTE_KINDS
        for route in inventory.find(kind)
        for parent in (route.inputs.get("spec") or {}).get("parentRefs") or []
        if parent.get("kind", "Gateway") == "Gateway"
    }
    return [
        finding("MESH0605", ref(g), "", f"no HTTPRoute or GRPCRoute binds gateway {namespace_of(g)}/{object_name(g)}")
        for g in inventory.find("Gateway")
        if is_gateway_api(g.inputs)
        and g.inputs["spec"].get("gatewayClassName") != "istio-waypoint"
        and (namespace_of(g), object_name(g)) not in bound
    ]


def _reference_findings(inventory: Inventory) -> list[Finding]:
    services: dict[tuple[str, str], set[int]] = {
        (namespace_of(s) or "default", object_name(s)): {p["port"] for p in s.inputs["spec"].get("ports", [])}
        for s in inventory.find("Service")
    }
    gateways = {(namespace_of(g), object_name(g)) for g in inventory.find("Gateway") if is_gateway_api(g.inputs)}
    findings = []
    for kind in ROUTE_KINDS:
        for route in inventory.find(kind):
            ns = namespace_of(route) or "default"
            spec = route.inputs.get("spec") or {}
            for i, parent in enumerate(spec.get("parentRefs") or []):
                key = (parent.get("namespace", ns), parent["name"])
                if parent.get("kind") == "Service" and key not in services:
                    findings.append(
                        finding("MESH0602", ref(route), f"spec.parentRefs[{i}]", f"no Service {key[0]}/{key[1]}")
                    )
                elif parent.get("kind", "Gateway") == "Gateway" and key not in gateways:
                    findings.append(
                        finding("MESH0602", ref(route), f"spec.parentRefs[{i}]", f"no Gateway {key[0]}/{key[1]}")
                    )
            for j, rule in enumerate(spec.get("rules") or []):
                backends = [
                    (f"spec.rules[{j}].backendRefs[{k}]", b) for k, b in enumerate(rule.get("backendRefs") or [])
                ]
                backends += [
                    (f"spec.rules[{j}].filters[{k}].requestMirror.backendRef", f["requestMirror"]["backendRef"])
                    for k, f in enumerate(rule.get("filters") or [])
                    if f.get("type") == "RequestMirror"
                ]
                for path, backend in backends:
                    key = (backend.get("namespace", ns), backend["name"])
                    if key not in services:
                        findings.append(finding("MESH0602", ref(route), path, f"no Service {key[0]}/{key[1]}"))
                    elif "port" in backend and backend["port"] not in services[key]:
                        findings.append(
                            finding(
                                "MESH0602",
                                ref(route),
                                f"{path}.port",
                                f"Service {key[0]}/{key[1]} has no port {backend['port']}",
                            )
                        )
    return findings


def _ambient_namespaces(inventory: Inventory) -> set[str]:
    return {
        object_name(n)
        for n in inventory.find("Namespace")
        if (n.inputs["metadata"].get("labels") or {}).get("istio.io/dataplane-mode") == "ambient"
    }


def _sidecar_findings(inventory: Inventory) -> list[Finding]:
    ambient = _ambient_namespaces(inventory)
    return [
        finding("IST0167", ref(s), "", "a Sidecar in an ambient namespace: no sidecar runs there to read it")
        for s in inventory.find("Sidecar")
        if namespace_of(s) in ambient
    ]


def gateway_api_ordering_findings(inventory: Inventory) -> list[Finding]:
    """MESH0603 and MESH0604: the Gateway API CRDs before istiod and every Gateway API
    object; ambient's releases in order, and workloads after ztunnel."""
    after = ordered_after(inventory)
    findings = []
    crds = {r.urn for r in inventory.resources if r.type == CONFIG_FILE}
    releases = {object_name(r): r.urn for r in inventory.find("Release")}
    if crds:
        for res in inventory.custom():
            istiod = res.type == HELM_RELEASE and object_name(res).startswith("istiod")
            if (istiod or is_gateway_api(res.inputs)) and not crds <= after(res.urn):
                findings.append(
                    finding("MESH0603", ref(res), "", "not ordered after the Gateway API CRDs the stack installs")
                )
    if "ztunnel" not in releases:
        return findings
    chain = [releases[name] for name in AMBIENT_ORDER if name in releases]
    for earlier, later in itertools.pairwise(chain):
        if earlier not in after(later):
            findings.append(
                finding(
                    "MESH0604",
                    f"Release/{object_name(inventory.by_urn()[later])}",
                    "",
                    "ambient installs base → istiod → cni → ztunnel → gateways: "
                    f"not ordered after {object_name(inventory.by_urn()[earlier])}",
                )
            )
    agents = {releases["ztunnel"], *({releases["istio-cni"]} if "istio-cni" in releases else set())}
    for res in inventory.custom():
        gateway_release = res.type == HELM_RELEASE and object_name(res) not in AMBIENT_ORDER
        if (res.kind == "Deployment" or gateway_release) and not agents <= after(res.urn):
            findings.append(
                finding(
                    "MESH0604",
                    ref(res),
                    "",
                    "not ordered after the CNI agent and ztunnel: its pods may start outside the mesh",
                )
            )
    return findings

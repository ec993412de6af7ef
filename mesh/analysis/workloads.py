"""Analyzers that read Pods, run on the Pods synthesized from templates (``pods``), and the
Kiali workload checks: selectors that select nothing, namespaces without injection,
Services that disagree about a workload's ports, the proxy's UID, Sidecar conflicts,
and workloads no authorization policy covers."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import HELM_RELEASE, Inventory, Resource, namespace_of, object_name, ref
from mesh.analysis.pods import (
    DATAPLANE_MODE,
    NS_INJECTION,
    REVISION,
    SYSTEM_NAMESPACES,
    Pod,
    PodIndex,
)

PROXY_UID = 1337
"""The UID Istio's sidecar runs as, and whose traffic iptables lets out unredirected."""
PROTOCOL_PREFIXES = ("http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "mongo", "mysql", "redis", "udp")


def control_plane_namespaces(inventory: Inventory) -> set[str]:
    """Namespaces of the control plane's Helm releases (base and istiod)."""
    return {
        str(r.inputs.get("namespace") or "")
        for r in inventory.custom()
        if r.type == HELM_RELEASE and r.inputs.get("chart") in ("base", "istiod")
    }


def root_namespace(inventory: Inventory) -> str:
    """The mesh's root namespace: meshConfig.rootNamespace, else istiod's namespace."""
    for res in inventory.find("Release"):
        if res.inputs.get("chart") == "istiod":
            values = res.inputs.get("values") or {}
            mesh_config = values.get("meshConfig") or {}
            return str(mesh_config.get("rootNamespace") or res.inputs.get("namespace") or "istio-system")
    return "istio-system"


def _selector(selector: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (selector or {}).items()}


def _label_text(selector: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def workload_findings(inventory: Inventory) -> list[Finding]:
    """IST0101 (selectors), IST0102, IST0110, IST0111, IST0116, IST0127, IST0137, IST0144, IST0167,
    KIA0701 and KIA1301."""
    index = PodIndex.of(inventory)
    return [
        *_selector_findings(inventory, index),
        *_namespace_findings(inventory, index),
        *_service_port_findings(inventory, index),
        *_uid_findings(index.all),
        *_sidecar_findings(inventory, index),
        *_coverage_findings(inventory, index),
    ]


def _selector_findings(inventory: Inventory, index: PodIndex) -> Iterable[Finding]:
    for gw in inventory.find("Gateway"):
        if not str(gw.inputs.get("apiVersion", "")).startswith("networking.istio.io/"):
            continue
        selector = _selector((gw.inputs.get("spec") or {}).get("selector"))
        # Istio looks for gateway Pods in every namespace (unless scoped to the Gateway's own).
        if selector and not index.selected(selector, None):
            yield finding(
                "IST0101",
                ref(gw),
                "spec.selector",
                f"Referenced selector not found: {_label_text(selector)!r}: no gateway Pod has these labels",
                "match the labels of the gateway's Pods (its chart's `app`/`istio` labels)",
            )
    for sc in inventory.find("Sidecar"):
        selector = _selector(((sc.inputs.get("spec") or {}).get("workloadSelector") or {}).get("labels"))
        if selector and not index.selected(selector, namespace_of(sc) or "default"):
            yield finding(
                "IST0101",
                ref(sc),
                "spec.workloadSelector.labels",
                f"Referenced selector not found: {_label_text(selector)!r}: no Pod in its namespace has these labels",
                "select the labels of a workload in the Sidecar's namespace",
            )
    root = root_namespace(inventory)
    for ap in inventory.find("AuthorizationPolicy"):
        spec = ap.inputs.get("spec") or {}
        ns = namespace_of(ap) or "default"
        has_selector = "selector" in spec
        selector = _selector((spec.get("selector") or {}).get("matchLabels"))
        if ns == root and not has_selector:
            continue  # mesh-wide
        if "targetRef" in spec or "targetRefs" in spec:
            continue  # bound to a Gateway or Service (a waypoint's policy), not to Pods by labels
        scope = None if ns == root else ns
        # On the mesh: with a sidecar, or captured by ztunnel in an ambient namespace.
        matching = [p for p in index.selected(selector, scope) if p.injected or p.ambient]
        if not matching:
            where = f"in namespace {ns}" if scope else "in the mesh"
            labels = _label_text(selector) if has_selector else "(every workload of the namespace)"
            yield finding(
                "IST0127",
                ref(ap),
                "spec.selector" if has_selector else "spec",
                f"No matching workloads for this resource with the following labels: {labels}: no Pod on the mesh {where}",
            )


def _namespace_findings(inventory: Inventory, index: PodIndex) -> Iterable[Finding]:
    skipped = SYSTEM_NAMESPACES | control_plane_namespaces(inventory)
    for ns in inventory.find("Namespace"):
        name = object_name(ns)
        labels = (ns.inputs.get("metadata") or {}).get("labels") or {}
        if name in skipped or NS_INJECTION in labels or REVISION in labels or labels.get(DATAPLANE_MODE) == "ambient":
            continue
        resident = index.by_namespace.get(name, [])
        # A namespace whose every Pod asks for its own sidecar (a gateway's) needs no label.
        if resident and all(p.injected for p in resident):
            continue
        yield finding(
            "IST0102",
            ref(ns),
            "metadata.labels",
            f"The namespace is not enabled for Istio injection: label it {NS_INJECTION}=enabled, "
            f"or {NS_INJECTION}=disabled to mark it as not needing injection",
            f"label the namespace {NS_INJECTION}=enabled (or =disabled)",
        )


def _protocol(port: Mapping[str, Any]) -> str:
    if port.get("appProtocol"):
        return str(port["appProtocol"]).lower()
    name = str(port.get("name", ""))
    for prefix in sorted(PROTOCOL_PREFIXES, key=len, reverse=True):
        if name == prefix or name.startswith(f"{prefix}-"):
            return prefix
    return "unknown"


def _container_ports(pod: Pod) -> list[Mapping[str, Any]]:
    return [p for c in pod.spec.get("containers") or [] for p in c.get("ports") or []]


def _service_port_findings(inventory: Inventory, index: PodIndex) -> Iterable[Finding]:
    by_pod: dict[int, list[tuple[Resource, Mapping[str, Any]]]] = defaultdict(list)
    pod_of: dict[int, Pod] = {}
    for svc in inventory.find("Service"):
        spec = svc.inputs.get("spec") or {}
        selector = _selector(spec.get("selector"))
        if not selector:
            continue
        selected = [p for p in index.selected(selector, namespace_of(svc) or "default") if not p.gateway]
        for pod in selected:
            pod_of[id(pod)] = pod
            for port in spec.get("ports") or []:
                by_pod[id(pod)].append((svc, port))
        # KIA0701: a Service port whose target no selected container exposes.
        if not selected:
            continue
        for i, port in enumerate(spec.get("ports") or []):
            target = port.get("targetPort", port.get("port"))
            exposed = [
                cp
                for pod in selected
                for cp in _container_ports(pod)
                if (cp.get("name") == target if isinstance(target, str) else cp.get("containerPort") == target)
            ]
            if not exposed:
                yield finding(
                    "KIA0701",
                    ref(svc),
                    f"spec.ports[{i}].targetPort",
                    f"no container of the workloads it selects ({', '.join(sorted({ref(p.owner) for p in selected}))}) "
                    f"exposes port {target!r}",
                )
    for key, pairs in by_pod.items():
        pod = pod_of[key]
        protocols: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        ports: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        for svc, port in pairs:
            protocols[int(port.get("port", 0))][_protocol(port)].add(object_name(svc))
            ports[str(port.get("targetPort", port.get("port")))][int(port.get("port", 0))].add(object_name(svc))
        for number, by_protocol in sorted(protocols.items()):
            if len(by_protocol) > 1:
                listed = ", ".join(
                    f"{s} ({proto})" for proto, names in sorted(by_protocol.items()) for s in sorted(names)
                )
                yield finding(
                    "IST0116",
                    ref(pod.owner),
                    f"{pod.path}.metadata.labels",
                    f"This deployment {object_name(pod.owner)} is associated with multiple services using port "
                    f"{number} but different protocols: {listed}",
                    "give every Service of the workload one protocol per port",
                )
        for target, by_port in sorted(ports.items()):
            if len(by_port) > 1:
                services = sorted({s for names in by_port.values() for s in names})
                yield finding(
                    "IST0137",
                    ref(pod.owner),
                    f"{pod.path}.metadata.labels",
                    f"This deployment {object_name(pod.owner)} is associated with multiple services {services} "
                    f"using targetPort {target!r} but different ports: {sorted(by_port)}",
                    "use one Service port per targetPort across the workload's Services",
                )


def _uid_findings(all_pods: list[Pod]) -> Iterable[Finding]:
    for pod in all_pods:
        if pod.gateway or not pod.injected:
            continue
        if (pod.spec.get("securityContext") or {}).get("runAsUser") == PROXY_UID:
            yield finding(
                "IST0144",
                ref(pod.owner),
                f"{pod.path}.spec.securityContext.runAsUser",
                "User ID (UID) 1337 is reserved for the sidecar proxy",
            )
        for i, container in enumerate(pod.spec.get("containers") or []):
            if (container.get("securityContext") or {}).get("runAsUser") == PROXY_UID:
                yield finding(
                    "IST0144",
                    ref(pod.owner),
                    f"{pod.path}.spec.containers[{i}].securityContext.runAsUser",
                    "User ID (UID) 1337 is reserved for the sidecar proxy",
                )


def _sidecar_findings(inventory: Inventory, index: PodIndex) -> Iterable[Finding]:
    unselective: dict[str, list[Resource]] = defaultdict(list)
    by_pod: dict[int, list[Resource]] = defaultdict(list)
    pod_of: dict[int, Pod] = {}
    for sc in inventory.find("Sidecar"):
        ns = namespace_of(sc) or "default"
        selector = _selector(((sc.inputs.get("spec") or {}).get("workloadSelector") or {}).get("labels"))
        if not selector:
            unselective[ns].append(sc)
            continue  # in an ambient namespace: IST0167 (mesh.analysis.gateway_api)
        selected = index.selected(selector, ns)
        for pod in selected:
            by_pod[id(pod)].append(sc)
            pod_of[id(pod)] = pod
        if selected and all(p.ambient for p in selected):
            yield finding(
                "IST0167",
                ref(sc),
                "spec.workloadSelector",
                "The policy has no impact: selected workload is in ambient mode",
                "drop the Sidecar, or take the workload out of ambient mode",
            )
    for ns, sidecars in unselective.items():
        if len(sidecars) > 1:
            names = sorted(object_name(s) for s in sidecars)
            for sc in sidecars:
                yield finding(
                    "IST0111",
                    ref(sc),
                    "spec.workloadSelector",
                    f"The Sidecars {names} in namespace {ns!r} have no workload selector",
                    "keep one Sidecar without selector per namespace",
                )
    for key, sidecars in by_pod.items():
        if len(sidecars) > 1:
            pod = pod_of[key]
            names = sorted(object_name(s) for s in sidecars)
            for sc in sidecars:
                yield finding(
                    "IST0110",
                    ref(sc),
                    "spec.workloadSelector.labels",
                    f"The Sidecars {names} in namespace {pod.namespace!r} select the same workload {ref(pod.owner)}",
                    "make the Sidecars' selectors disjoint",
                )


def _coverage_findings(inventory: Inventory, index: PodIndex) -> Iterable[Finding]:
    root = root_namespace(inventory)
    selectorless: set[str] = set()
    covered: set[int] = set()
    for ap in inventory.find("AuthorizationPolicy"):
        spec = ap.inputs.get("spec") or {}
        ns = namespace_of(ap) or "default"
        if "selector" not in spec:
            selectorless.add(ns)
            continue
        selector = _selector((spec.get("selector") or {}).get("matchLabels"))
        covered |= {id(p) for p in index.selected(selector, None if ns == root else ns)}
    if root in selectorless:
        return
    for pod in index.all:
        # Kiali's KIA1301, for the workloads of this stack on the mesh; the gateway is the mesh's edge.
        if pod.gateway or not pod.injected or pod.namespace in selectorless or id(pod) in covered:
            continue
        yield finding(
            "KIA1301",
            ref(pod.owner),
            f"{pod.path}.metadata.labels",
            "This workload is not covered by any authorization policy: every peer may call it",
        )

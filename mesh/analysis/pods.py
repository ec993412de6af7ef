"""Pods from templates: what each workload would run, decided offline.

Istio's Pod-reading analyzers look at running Pods; offline there are none, but
every Pod a Deployment (StatefulSet, DaemonSet) creates is its template, and an
ingress gateway installed with Istio's ``gateway`` chart runs Pods whose labels
and service account the chart derives from its values. ``pods`` synthesizes one
Pod per template: labels, annotations, service account, and whether Istio's
injection webhook would give it a sidecar (from its namespace's labels and its
own), or ambient mode would capture it.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mesh.analysis.model import HELM_RELEASE, Inventory, Resource, namespace_of, object_name

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease", "local-path-storage"})
"""Namespaces Istio's injection and analyzers leave alone."""
INJECT = "sidecar.istio.io/inject"
REVISION = "istio.io/rev"
NS_INJECTION = "istio-injection"
DATAPLANE_MODE = "istio.io/dataplane-mode"


@dataclass(frozen=True)
class Pod:
    """One Pod a workload would create, as its template (or chart) says."""

    owner: Resource
    """The Deployment (or Helm release) that creates it."""
    namespace: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    service_account: str
    injected: bool
    """Istio's webhook gives it a sidecar (or it is a gateway, which is its own proxy)."""
    ambient: bool
    """Ambient mode captures it: no sidecar, ztunnel instead."""
    spec: Mapping[str, Any]
    """The Pod spec (empty for chart Pods)."""
    path: str
    """Where the template is in its owner: ``spec.template`` or the release's ``values``."""
    gateway: bool = False
    """An Istio gateway Pod (from the ``gateway`` chart)."""


def injected(ns_labels: Mapping[str, str] | None, labels: Mapping[str, str], annotations: Mapping[str, str]) -> bool:
    """Whether Istio's injection webhooks (default and revisioned) inject a Pod."""
    flag = labels.get(INJECT, annotations.get(INJECT))
    ns = ns_labels or {}
    if ns.get(NS_INJECTION) == "disabled" or flag == "false":
        return False
    if ns.get(NS_INJECTION) == "enabled" or REVISION in ns:
        return True
    return flag == "true" or REVISION in labels


def _template_pod(res: Resource, namespaces: Mapping[str, Mapping[str, str]]) -> Pod | None:
    template = (res.inputs.get("spec") or {}).get("template")
    if not isinstance(template, Mapping):
        return None
    meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    labels = dict(meta.get("labels") or {})
    annotations = dict(meta.get("annotations") or {})
    ns = namespace_of(res) or "default"
    ns_labels = namespaces.get(ns)
    sidecar = injected(ns_labels, labels, annotations)
    ambient = (
        not sidecar and (ns_labels or {}).get(DATAPLANE_MODE) == "ambient" and labels.get(DATAPLANE_MODE) != "none"
    )
    return Pod(
        res,
        ns,
        labels,
        annotations,
        str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"),
        sidecar,
        ambient,
        spec,
        "spec.template",
    )


def _gateway_pod(res: Resource) -> Pod:
    """The Pod of Istio's ``gateway`` chart, from its helpers: ``app`` and ``istio`` labels derived
    from the name, ``values.labels`` over them, the sidecar label, and the service account."""
    values = res.inputs.get("values") or {}
    name = str(values.get("name") or object_name(res))
    extra = {str(k): str(v) for k, v in (values.get("labels") or {}).items()}
    labels = {"app": extra.get("app", name), "istio": extra.get("istio", name.removeprefix("istio-"))}
    labels |= {k: v for k, v in extra.items() if k not in ("app", "istio")}
    labels[INJECT] = "true"
    if values.get("revision"):
        labels[REVISION] = str(values["revision"])
    account = values.get("serviceAccount") or {}
    service_account = str(account.get("name") or (name if account.get("create", True) else "default"))
    annotations = {str(k): str(v) for k, v in (values.get("podAnnotations") or {}).items()}
    ns = str(res.inputs.get("namespace") or "default")
    return Pod(res, ns, labels, annotations, service_account, True, False, {}, "values", gateway=True)


def pods(inventory: Inventory) -> list[Pod]:
    """Every Pod the inventory's workloads would create (one per template), computed once."""
    cached = inventory.__dict__.get("_pods")
    if cached is not None and cached[0] == len(inventory.resources):
        return list(cached[1])
    namespaces = {
        object_name(n): dict(n.inputs.get("metadata", {}).get("labels") or {}) for n in inventory.find("Namespace")
    }
    out: list[Pod] = []
    for res in inventory.custom():
        if res.kind in WORKLOAD_KINDS:
            pod = _template_pod(res, namespaces)
            if pod:
                out.append(pod)
        elif res.type == HELM_RELEASE and res.inputs.get("chart") == "gateway":
            out.append(_gateway_pod(res))
    inventory.__dict__["_pods"] = (len(inventory.resources), out)
    return list(out)


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether a label selector (``matchLabels``) matches ``labels``."""
    return all(labels.get(k) == v for k, v in selector.items())


class PodIndex:
    """Pods by namespace and by (namespace, label, value), so that selecting stays linear."""

    def __init__(self, all_pods: list[Pod]) -> None:
        self.all = all_pods
        self.by_namespace: dict[str, list[Pod]] = defaultdict(list)
        self._by_label: dict[tuple[str, str, str], list[Pod]] = defaultdict(list)
        self._by_label_anywhere: dict[tuple[str, str], list[Pod]] = defaultdict(list)
        for pod in all_pods:
            self.by_namespace[pod.namespace].append(pod)
            for key, value in pod.labels.items():
                self._by_label[(pod.namespace, key, value)].append(pod)
                self._by_label_anywhere[(key, value)].append(pod)

    @classmethod
    def of(cls, inventory: Inventory) -> "PodIndex":
        cached = inventory.__dict__.get("_pod_index")
        if cached is None or cached[0] != len(inventory.resources):
            cached = (len(inventory.resources), cls(pods(inventory)))
            inventory.__dict__["_pod_index"] = cached
        index: PodIndex = cached[1]
        return index

    def selected(self, selector: Mapping[str, str], namespace: str | None) -> list[Pod]:
        """Pods that ``selector`` matches, in ``namespace`` (None: anywhere); an empty selector matches all."""
        if not selector:
            return list(self.all if namespace is None else self.by_namespace.get(namespace, []))
        if namespace is None:
            lists = [self._by_label_anywhere.get((k, v), []) for k, v in selector.items()]
        else:
            lists = [self._by_label.get((namespace, k, v), []) for k, v in selector.items()]
        return [p for p in min(lists, key=len) if selects(selector, p.labels)]

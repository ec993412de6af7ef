"""Istio annotations and deprecated fields: IST0002, IST0107, IST0108, IST0125, IST0135 and IST0136.

The annotation table is Istio 1.30's resource annotations (``istio.io/api``'s
``annotation`` package) as far as this analysis carries it: each name, the kinds it
applies to, its feature status and whether it is deprecated. Like ``istioctl
analyze``, Namespaces, Services and Deployments are read from their own metadata,
and Pods from the Pods each workload's template would create; the alpha check
(IST0136) is left out unless asked for, as istioctl leaves it out of its defaults.
"""

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import Inventory, ref
from mesh.analysis.pods import PodIndex

ANY = "Any"


@dataclass(frozen=True)
class Annotation:
    name: str
    kinds: tuple[str, ...]
    status: str
    deprecated: str | None = None
    """Why, and what replaces it, when deprecated."""


def _pod(name: str, status: str = "Alpha", deprecated: str | None = None) -> Annotation:
    return Annotation(name, ("Pod",), status, deprecated)


ANNOTATIONS: dict[str, Annotation] = {
    a.name: a
    for a in (
        Annotation("galley.istio.io/analyze-suppress", (ANY,), "Alpha"),
        Annotation("gateway.istio.io/controller-version", (ANY,), "Alpha"),
        Annotation("gateway.istio.io/service-account", ("Gateway",), "Alpha"),
        Annotation("install.operator.istio.io/chart-owner", (ANY,), "Alpha"),
        Annotation("install.operator.istio.io/owner-generation", (ANY,), "Alpha"),
        Annotation("install.operator.istio.io/version", (ANY,), "Alpha"),
        Annotation("istio.io/dry-run", ("AuthorizationPolicy",), "Alpha"),
        Annotation("istio.io/rev", (ANY,), "Alpha"),
        Annotation("istio.io/autoRegistrationGroup", ("WorkloadEntry",), "Alpha"),
        Annotation("istio.io/connectedAt", ("WorkloadEntry",), "Alpha"),
        Annotation("istio.io/disconnectedAt", ("WorkloadEntry",), "Alpha"),
        Annotation("istio.io/workloadController", ("WorkloadEntry",), "Alpha"),
        Annotation("networking.istio.io/exportTo", ("Service",), "Alpha"),
        Annotation("networking.istio.io/traffic-distribution", ("Service",), "Alpha"),
        Annotation("networking.istio.io/service-type", ("Gateway",), "Alpha"),
        _pod("ambient.istio.io/redirection"),
        _pod("ambient.istio.io/bypass-inbound-capture"),
        _pod("inject.istio.io/templates"),
        _pod("prometheus.istio.io/merge-metrics"),
        _pod("proxy.istio.io/config", "Beta"),
        _pod("proxy.istio.io/overrides"),
        _pod("readiness.status.sidecar.istio.io/applicationPorts"),
        _pod("readiness.status.sidecar.istio.io/failureThreshold"),
        _pod("readiness.status.sidecar.istio.io/initialDelaySeconds"),
        _pod("readiness.status.sidecar.istio.io/periodSeconds"),
        _pod("sidecar.istio.io/agentLogLevel"),
        _pod("sidecar.istio.io/bootstrapOverride"),
        _pod("sidecar.istio.io/componentLogLevel"),
        _pod("sidecar.istio.io/controlPlaneAuthPolicy", deprecated="mTLS is set by PeerAuthentication"),
        _pod("sidecar.istio.io/discoveryAddress", deprecated="set discoveryAddress in proxy.istio.io/config"),
        _pod("sidecar.istio.io/enableCoreDump"),
        _pod("sidecar.istio.io/extraStatTags"),
        _pod("sidecar.istio.io/inject", "Beta", deprecated="use the label sidecar.istio.io/inject instead"),
        _pod("sidecar.istio.io/interceptionMode"),
        _pod("sidecar.istio.io/logLevel"),
        _pod("sidecar.istio.io/nativeSidecar"),
        _pod("sidecar.istio.io/proxyCPU"),
        _pod("sidecar.istio.io/proxyCPULimit"),
        _pod("sidecar.istio.io/proxyImage"),
        _pod("sidecar.istio.io/proxyImageType"),
        _pod("sidecar.istio.io/proxyMemory"),
        _pod("sidecar.istio.io/proxyMemoryLimit"),
        _pod("sidecar.istio.io/rewriteAppHTTPProbers"),
        _pod("sidecar.istio.io/statsHistogramBuckets"),
        _pod("sidecar.istio.io/statsInclusionPrefixes", deprecated="use proxy.istio.io/config proxyStatsMatcher"),
        _pod("sidecar.istio.io/statsInclusionRegexps", deprecated="use proxy.istio.io/config proxyStatsMatcher"),
        _pod("sidecar.istio.io/statsInclusionSuffixes", deprecated="use proxy.istio.io/config proxyStatsMatcher"),
        _pod("sidecar.istio.io/status"),
        _pod("sidecar.istio.io/userVolume"),
        _pod("sidecar.istio.io/userVolumeMount"),
        _pod("status.sidecar.istio.io/port"),
        _pod("traffic.sidecar.istio.io/excludeInboundPorts"),
        _pod("traffic.sidecar.istio.io/excludeInterfaces"),
        _pod("traffic.sidecar.istio.io/excludeOutboundIPRanges"),
        _pod("traffic.sidecar.istio.io/excludeOutboundPorts"),
        _pod("traffic.sidecar.istio.io/includeInboundPorts"),
        _pod("traffic.sidecar.istio.io/includeOutboundIPRanges"),
        _pod("traffic.sidecar.istio.io/includeOutboundPorts"),
        _pod("traffic.sidecar.istio.io/kubevirtInterfaces", deprecated="use istio.io/reroute-virtual-interfaces"),
        Annotation("kubernetes.io/ingress.class", ("Ingress",), "Stable"),
    )
}
ALWAYS_IGNORED = frozenset({"sidecar.istio.io/status", "gateway.istio.io/controller-version", "istio.io/rev"})
"""Set by Istio itself: never reported as alpha (as in istioctl)."""


def is_istio_annotation(name: str) -> bool:
    """In an Istio domain (``*istio.io/``), or the Ingress class Istio documents."""
    return name == "kubernetes.io/ingress.class" or name.split("/")[0].endswith("istio.io")


_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
_LOG_LEVELS = {"trace", "debug", "info", "warning", "warn", "error", "critical", "off"}


def _bool(value: str) -> str | None:
    return None if value in ("true", "false") else "not a boolean (true or false)"


def _uint32(value: str) -> str | None:
    return None if value.isdigit() and int(value) < 2**32 else "not an unsigned 32-bit integer"


def _port(value: str) -> str | None:
    return None if value.isdigit() and 0 <= int(value) <= 65535 else "not a port number (0 to 65535)"


def _ports(value: str, star: bool = True) -> str | None:
    if value.strip() in ("", "*") and star:
        return None
    bad = [p for p in value.split(",") if not (p.strip().isdigit() and 0 < int(p.strip()) <= 65535)]
    return f"not a port list: {', '.join(bad)}" if bad else None


def _cidrs(value: str) -> str | None:
    if value.strip() in ("", "*"):
        return None
    for part in value.split(","):
        try:
            ipaddress.ip_network(part.strip(), strict=False)
        except ValueError:
            return f"not a CIDR list: {part.strip()!r}"
    return None


def _interception(value: str) -> str | None:
    return None if value in ("REDIRECT", "TPROXY", "NONE") else "not an interception mode (REDIRECT, TPROXY, NONE)"


def _quantity(value: str) -> str | None:
    return None if _QUANTITY.fullmatch(value) else "not a Kubernetes quantity"


def _log_level(value: str) -> str | None:
    return None if value in _LOG_LEVELS else f"not a log level ({', '.join(sorted(_LOG_LEVELS))})"


def _proxy_config(value: str) -> str | None:
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return "not YAML or JSON"
    return None if isinstance(parsed, dict) else "not a mapping of ProxyConfig fields"


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "sidecar.istio.io/enableCoreDump": _bool,
    "sidecar.istio.io/rewriteAppHTTPProbers": _bool,
    "sidecar.istio.io/nativeSidecar": _bool,
    "prometheus.istio.io/merge-metrics": _bool,
    "sidecar.istio.io/interceptionMode": _interception,
    "status.sidecar.istio.io/port": _port,
    "readiness.status.sidecar.istio.io/initialDelaySeconds": _uint32,
    "readiness.status.sidecar.istio.io/periodSeconds": _uint32,
    "readiness.status.sidecar.istio.io/failureThreshold": _uint32,
    "traffic.sidecar.istio.io/includeInboundPorts": _ports,
    "traffic.sidecar.istio.io/excludeInboundPorts": _ports,
    "traffic.sidecar.istio.io/includeOutboundPorts": _ports,
    "traffic.sidecar.istio.io/excludeOutboundPorts": _ports,
    "traffic.sidecar.istio.io/includeOutboundIPRanges": _cidrs,
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": _cidrs,
    "sidecar.istio.io/proxyCPU": _quantity,
    "sidecar.istio.io/proxyCPULimit": _quantity,
    "sidecar.istio.io/proxyMemory": _quantity,
    "sidecar.istio.io/proxyMemoryLimit": _quantity,
    "sidecar.istio.io/logLevel": _log_level,
    "sidecar.istio.io/agentLogLevel": _log_level,
    "proxy.istio.io/config": _proxy_config,
}
"""Values Istio checks (``inject.validate``), as this analysis can decide them."""


def _annotated(inventory: Inventory) -> Iterable[tuple[str, str, str, Mapping[str, Any], Mapping[str, Any]]]:
    """(object, path, kind, annotations, labels) of every Namespace, Service and Deployment (its own
    metadata) and every Pod (its template)."""
    for res in inventory.custom():
        if res.kind in ("Namespace", "Service", "Deployment"):
            meta = res.inputs.get("metadata") or {}
            yield ref(res), "metadata.annotations", res.kind, meta.get("annotations") or {}, meta.get("labels") or {}
    for pod in PodIndex.of(inventory).all:
        if not pod.gateway:
            yield ref(pod.owner), f"{pod.path}.metadata.annotations", "Pod", pod.annotations, pod.labels


def annotation_findings(inventory: Inventory, alpha: bool = False) -> list[Finding]:
    """IST0107, IST0108, IST0125, IST0135 and, with ``alpha``, IST0136."""
    findings = []
    for obj, path, kind, annotations, labels in _annotated(inventory):
        for name, value in annotations.items():
            if not is_istio_annotation(name):
                continue
            where = f"{path}[{name}]"
            known = ANNOTATIONS.get(name)
            if known is None:
                findings.append(finding("IST0108", obj, where, f"Unknown annotation: {name}"))
                continue
            if known.deprecated and not (name == "sidecar.istio.io/inject" and name in labels):
                findings.append(
                    finding(
                        "IST0135",
                        obj,
                        where,
                        f"Annotation {name!r} has been deprecated ({known.deprecated}) and may not work in future "
                        "Istio versions",
                    )
                )
            if ANY not in known.kinds and kind not in known.kinds:
                findings.append(
                    finding(
                        "IST0107",
                        obj,
                        where,
                        f"Misplaced annotation: {name} can only be applied to {', '.join(known.kinds)}",
                    )
                )
                continue
            problem = VALIDATORS[name](str(value)) if name in VALIDATORS else None
            if problem:
                findings.append(finding("IST0125", obj, where, f"Invalid annotation {name}: {problem}: {value!r}"))
            if alpha and known.status == "Alpha" and name not in ALWAYS_IGNORED:
                findings.append(
                    finding(
                        "IST0136",
                        obj,
                        where,
                        f"Annotation {name!r} is part of an alpha-phase feature and may be incompletely supported",
                    )
                )
    return findings


def deprecation_findings(inventory: Inventory) -> list[Finding]:
    """IST0002: the deprecated fields Istio 1.30's deprecation analyzer reports."""
    findings = []
    for vs in inventory.find("VirtualService"):
        for i, route in enumerate((vs.inputs.get("spec") or {}).get("http") or []):
            delay = (route.get("fault") or {}).get("delay") or {}
            if delay.get("percent"):
                findings.append(
                    finding(
                        "IST0002",
                        ref(vs),
                        f"spec.http[{i}].fault.delay.percent",
                        "Deprecated: HTTPRoute.fault.delay.percent is deprecated; use HTTPRoute.fault.delay.percentage",
                        "use fault.delay.percentage",
                    )
                )
    for sc in inventory.find("Sidecar"):
        if ((sc.inputs.get("spec") or {}).get("outboundTrafficPolicy") or {}).get("egressProxy"):
            findings.append(
                finding(
                    "IST0002",
                    ref(sc),
                    "spec.outboundTrafficPolicy.egressProxy",
                    "Deprecated: OutboundTrafficPolicy.EgressProxy ignored",
                    "route egress through an egress gateway instead",
                )
            )
    return findings

"""The ambient data plane's pieces of a service: pure, no Pulumi.

In ambient, ztunnel (one per node) carries every pod's traffic with mTLS and L4
policy; L7 (routes, retries, timeouts, L7 authorization, JWT) needs a waypoint, a
Gateway API ``Gateway`` of class ``istio-waypoint`` that Istio deploys. A service
gets one exactly when it asks for L7; its Service is labelled to use it, its
policies target the Service (``targetRefs``) and are enforced by the waypoint, and
ztunnel admits the waypoint, the only identity it sees for that traffic.
"""

from collections.abc import Mapping
from typing import Any

from istio_mesh import defaults as d
from istio_mesh.args import MeshServiceArgs
from istio_mesh.shape import Problem, join

Manifest = dict[str, Any]

AMBIENT_LABEL = {"istio.io/dataplane-mode": "ambient"}
"""The namespace label that puts its pods on ztunnel."""


def waypoint_name(svc: str) -> str:
    """A service's own waypoint."""
    return f"{svc}-waypoint"


def l7_reasons(args: MeshServiceArgs) -> list[str]:
    """The keys of a service that need L7 processing, so a waypoint."""
    l7: dict[str, object] = {
        "routes": args.get("routes"),
        "retries": args.get("retries"),
        "timeout": args.get("timeout"),
        "jwt": args.get("jwt"),
    }
    reasons = [key for key, value in l7.items() if value]
    if any(c.get("methods") or c.get("paths") for c in args.get("allowed_callers", [])):
        reasons.append("allowed_callers")
    return reasons


def needs_waypoint(args: MeshServiceArgs) -> bool:
    """Whether the service asks for anything ztunnel, being L4 only, cannot do."""
    return bool(l7_reasons(args))


def waypoint_labels(svc: str) -> dict[str, str]:
    """Service labels that send its traffic, ingress included, through its waypoint."""
    return {"istio.io/use-waypoint": waypoint_name(svc), "istio.io/ingress-use-waypoint": "true"}


def waypoint(svc: str, namespace: str, labels: Mapping[str, str]) -> Manifest:
    """The service's waypoint: Istio deploys and scales the proxy behind it."""
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": waypoint_name(svc),
            "namespace": namespace,
            "labels": {**labels, "istio.io/waypoint-for": "service"},
        },
        "spec": {
            "gatewayClassName": d.WAYPOINT_CLASS,
            "listeners": [{"name": "mesh", "port": d.WAYPOINT_PORT, "protocol": "HBONE"}],
        },
    }


def targeting_service(svc: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A policy spec bound to the service's waypoint (``targetRefs``) instead of its pods."""
    out = {k: v for k, v in spec.items() if k != "selector"}
    return {"targetRefs": [{"kind": "Service", "group": "", "name": svc}], **out}


def admit_waypoint(svc: str, namespace: str, labels: Mapping[str, str], trust_domain: str) -> Manifest:
    """ztunnel's policy on the service's pods: the waypoint, whose ServiceAccount is
    named after it, may reach them; under default-deny nothing else may."""
    principal = f"{trust_domain}/ns/{namespace}/sa/{waypoint_name(svc)}"
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": f"{svc}-from-waypoint", "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": {"app": svc}},
            "action": "ALLOW",
            "rules": [{"from": [{"source": {"principals": [principal]}}]}],
        },
    }


def ingress_only(virtual_services: list[Manifest]) -> list[Manifest]:
    """VirtualServices as a service without waypoint needs them in ambient: bound to
    the ingress gateway alone, since no mesh proxy would read their mesh binding."""
    out = []
    for vs in virtual_services:
        gateways = [g for g in vs["spec"].get("gateways", []) if g != "mesh"]
        if gateways:
            out.append({**vs, "spec": {**vs["spec"], "gateways": gateways}})
    return out


def ambient_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """What a service asks for that ambient cannot honour, at its key."""
    problems: list[Problem] = []
    if "proxy" in args:
        problems.append(Problem(join(path, "proxy"), "ambient pods have no sidecar to size or configure; drop `proxy`"))
    if "egress_hosts" in args:
        problems.append(
            Problem(
                join(path, "egress_hosts"),
                "a Sidecar resource has no effect in ambient (Istio's IST0167); drop it (the stack's "
                "`limit_egress: false`)",
            )
        )
    return problems

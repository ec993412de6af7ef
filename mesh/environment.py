"""One environment from its stack config, as component arguments: pure, no Pulumi.

The dependency graph (``calls``) is the single source of each service's
``<CALLEE>_HOST``/``<CALLEE>_PORT`` env, of whom it admits (AuthorizationPolicy)
and of what its proxy may reach (Sidecar); no rule is written twice.
"""

from dataclasses import dataclass
from typing import Any

from istio_mesh.control_plane_spec import Manifest, control_plane_spec
from istio_mesh.namespace_spec import mesh_namespace_spec
from istio_mesh.service_spec import mesh_service_spec, service_host
from mesh.config import PROJECT, StackConfig

CONTROL_PLANE = "istio"
"""Name of the IstioControlPlane component."""


@dataclass(frozen=True)
class EnvironmentPlan:
    """The components of one environment and their arguments."""

    control_plane: dict[str, Any]
    """IstioControlPlaneArgs."""
    namespaces: dict[str, dict[str, Any]]
    """MeshNamespaceArgs by namespace name."""
    services: dict[str, dict[str, Any]]
    """MeshServiceArgs by service name."""


def env_prefix(service: str) -> str:
    """Prefix of the env vars that tell a caller where ``service`` is."""
    return service.upper().replace("-", "_")


def plan_environment(cfg: StackConfig) -> EnvironmentPlan:
    """The components that make up ``cfg``'s environment."""
    cp = control_plane_spec(cfg.istio)
    by_name = {s.name: s for s in cfg.services}
    first_port = {s.name: s.args["ports"][0]["port"] for s in cfg.services}
    callers: dict[str, list[dict[str, Any]]] = {s.name: [] for s in cfg.services}
    for svc in cfg.services:
        for call in svc.calls:
            caller: dict[str, Any] = {"namespace": svc.namespace, "service_account": svc.name}
            if call.methods:
                caller["methods"] = list(call.methods)
            if call.paths:
                caller["paths"] = list(call.paths)
            callers[call.service].append(caller)
    chosen = cfg.namespace_revisions or {}

    def ns_args(ns: str) -> dict[str, Any]:
        out: dict[str, Any] = {"revision": chosen.get(ns, cp.revision), "default_deny": cfg.default_deny}
        if cfg.namespace_mtls_mode:
            out["mtls_mode"] = cfg.namespace_mtls_mode
        return out

    def host(name: str, namespace: str) -> str:
        return service_host(name, namespace, cp.cluster_domain)

    # Facts of the cluster and of this program, the same for every service.
    common: dict[str, Any] = {
        "trust_domain": cp.trust_domain,
        "cluster_domain": cp.cluster_domain,
        "root_namespace": cp.namespace,
        "part_of": PROJECT,
    }
    tracing = cfg.istio.get("tracing")
    namespaces: dict[str, dict[str, Any]] = {}
    if cfg.external_hosts:
        # External hosts live in the default namespace, exported to the whole mesh.
        namespaces[cfg.namespace] = {**ns_args(cfg.namespace), "external_hosts": [dict(e) for e in cfg.external_hosts]}
    services: dict[str, dict[str, Any]] = {}
    for svc in cfg.services:
        namespaces.setdefault(svc.namespace, ns_args(svc.namespace))
        derived_env: dict[str, str] = {}
        for call in svc.calls:
            callee = by_name[call.service]
            derived_env[f"{env_prefix(callee.name)}_HOST"] = host(callee.name, callee.namespace)
            derived_env[f"{env_prefix(callee.name)}_PORT"] = str(first_port[callee.name])
        args: dict[str, Any] = {
            **common,
            **svc.args,
            "namespace": svc.namespace,
            "service_name": svc.name,
            # What injects the namespace: a new revision or version there rolls the pods.
            "injected_by": cp.injected_by(namespaces[svc.namespace]["revision"]),
        }
        # Explicit env wins over what the graph derives.
        env = {**derived_env, **svc.args.get("env", {})}
        if env:
            args["env"] = env
        svc_callers = list(callers[svc.name])
        if svc.entry:
            gw_hosts = cfg.istio.get("gateway", {}).get("hosts", ["*"])
            args["expose"] = {"gateway": cp.gateway_ref, "hosts": gw_hosts}
            # The gateway's identity as its chart derives it from the merged values.
            svc_callers.append({"namespace": cp.gateway_namespace, "service_account": cp.gateway_service_account})
        if cfg.default_deny or svc_callers:
            # Under default-deny a service with no callers gets an empty ALLOW
            # list, which is what it should admit: nothing.
            args["allowed_callers"] = svc_callers
        if cfg.limit_egress:
            args["egress_hosts"] = sorted(
                {f"{by_name[c.service].namespace}/{host(c.service, by_name[c.service].namespace)}" for c in svc.calls}
                | {f"{cfg.namespace}/{h}" for h in svc.egress}
                # Spans go to the collector, wherever it runs.
                | ({f"*/{tracing['service']}"} if tracing else set())
            )
        services[svc.name] = args
    return EnvironmentPlan(control_plane=dict(cfg.istio), namespaces=namespaces, services=services)


def planned_manifests(plan: EnvironmentPlan) -> list[Manifest]:
    """Every Kubernetes and Istio object the plan's components will register."""
    cp = control_plane_spec(plan.control_plane)
    manifests = [*cp.namespaces, *cp.resources]
    for name, ns_args in plan.namespaces.items():
        ns = mesh_namespace_spec(name, ns_args)
        manifests += [ns.namespace, *ns.policies]
    for name, svc_args in plan.services.items():
        svc = mesh_service_spec(name, svc_args)
        manifests += [*svc.workloads, *svc.istio]
    return manifests

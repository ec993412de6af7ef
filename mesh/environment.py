"""One environment from its stack config, as component arguments: pure, no Pulumi.

The dependency graph (``calls``) is the single source of each service's
``<CALLEE>_HOST``/``<CALLEE>_PORT`` env, of whom it admits (AuthorizationPolicy)
and of what its proxy may reach (Sidecar); no rule is written twice.
"""

from dataclasses import dataclass
from typing import Any

from istio_mesh import defaults as d
from istio_mesh.control_plane_spec import Manifest, control_plane_spec
from istio_mesh.namespace_spec import mesh_namespace_spec
from istio_mesh.service_spec import mesh_service_spec, service_host
from mesh.config import StackConfig

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
    gateway_ns, _, gateway_sa = cp.gateway_ref.partition("/")
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
    ns_args: dict[str, Any] = {"revision": cp.revision, "default_deny": cfg.default_deny}
    if cfg.namespace_mtls_mode:
        ns_args["mtls_mode"] = cfg.namespace_mtls_mode
    namespaces: dict[str, dict[str, Any]] = {}
    if cfg.external_hosts:
        # External hosts live in the default namespace, exported to the whole mesh.
        namespaces[cfg.namespace] = {**ns_args, "external_hosts": [dict(e) for e in cfg.external_hosts]}
    services: dict[str, dict[str, Any]] = {}
    for svc in cfg.services:
        namespaces.setdefault(svc.namespace, dict(ns_args))
        derived_env: dict[str, str] = {}
        for call in svc.calls:
            callee = by_name[call.service]
            derived_env[f"{env_prefix(callee.name)}_HOST"] = service_host(callee.name, callee.namespace)
            derived_env[f"{env_prefix(callee.name)}_PORT"] = str(first_port[callee.name])
        args: dict[str, Any] = {**svc.args, "namespace": svc.namespace, "service_name": svc.name}
        # Explicit env wins over what the graph derives.
        env = {**derived_env, **svc.args.get("env", {})}
        if env:
            args["env"] = env
        svc_callers = list(callers[svc.name])
        if svc.entry:
            gw_hosts = cfg.istio.get("gateway", {}).get("hosts", ["*"])
            args["expose"] = {"gateway": cp.gateway_ref, "hosts": gw_hosts}
            svc_callers.append({"namespace": gateway_ns, "service_account": gateway_sa or d.GATEWAY_RELEASE})
        if cfg.default_deny or svc_callers:
            # Under default-deny a service with no callers gets an empty ALLOW
            # list, which is what it should admit: nothing.
            args["allowed_callers"] = svc_callers
        if cfg.limit_egress:
            args["egress_hosts"] = sorted(
                {
                    f"{by_name[c.service].namespace}/{service_host(c.service, by_name[c.service].namespace)}"
                    for c in svc.calls
                }
                | {f"{cfg.namespace}/{host}" for host in svc.egress}
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

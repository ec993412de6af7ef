"""One environment planned from its stack config: every component's spec, built once; pure, no Pulumi.

The dependency graph (``calls``) is the single source of each service's
``<CALLEE>_HOST``/``<CALLEE>_PORT`` env, of whom it admits (AuthorizationPolicy)
and of what its proxy may reach (Sidecar); no rule is written twice. Every
planned object remembers the config key that owns it, so that a collision or an
oversized object is reported at the user's key path before anything registers.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from pulumi import Input

from istio_mesh import (
    ArgsError,
    ControlPlaneSpec,
    NamespaceSpec,
    Problem,
    ServiceSpec,
    child_name,
    control_plane_spec,
    mesh_namespace_spec,
    mesh_service_spec,
    pulumi_type,
    service_host,
)
from istio_mesh.args import (
    CallerArgs,
    DataPlane,
    GatewayApiChannel,
    MeshNamespaceArgs,
    MeshServiceArgs,
    MtlsMode,
    TrafficApi,
)
from istio_mesh.defaults import GATEWAY as GATEWAY_DEFAULTS
from istio_mesh.defaults import NAMESPACE as NAMESPACE_DEFAULTS
from istio_mesh.grammar import env_prefix
from mesh.analysis.model import HELM_RELEASE, Inventory, Resource
from mesh.analysis.uniqueness import MAX_OBJECT_BYTES, collisions, describe, object_key, object_size
from mesh.config import PROJECT, ConfigError, StackConfig, key_path

A = TypeVar("A")
S = TypeVar("S")

CONTROL_PLANE = "istio"
"""Name of the IstioControlPlane component."""

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Owned:
    """One planned object and the config key that owns it."""

    component: str
    """Type token of its component, such as ``istio-mesh:index:MeshService``."""
    component_name: str
    manifest: Manifest
    owner: str
    """The config key path it derives from."""


@dataclass(frozen=True)
class EnvironmentPlan:
    """The components of one environment, their specs built and validated once."""

    control_plane: ControlPlaneSpec
    namespaces: dict[str, NamespaceSpec]
    """By namespace name."""
    services: dict[str, ServiceSpec]
    """By service name."""
    owners: dict[str, str]
    """Config key path of each service, namespace and external host, by name."""
    service_args: dict[str, MeshServiceArgs]
    """MeshServiceArgs the services' specs were built from, derived keys included."""
    namespace_args: dict[str, MeshNamespaceArgs]
    """MeshNamespaceArgs the namespaces' specs were built from."""

    def manifests(self) -> list[Manifest]:
        """Every Kubernetes and Istio object the plan's components will register."""
        return [o.manifest for o in self.owned()]

    def inventory(self) -> Inventory:
        """The planned objects and Helm releases, for the analysis (no ordering facts yet)."""
        inventory = Inventory.of_manifests(self.manifests())
        for release in self.control_plane.releases:
            inputs = {
                "name": release.name,
                "chart": release.chart,
                "version": release.version,
                "namespace": release.namespace,
                "values": release.values,
            }
            inventory.resources.append(
                Resource(
                    HELM_RELEASE, release.key, f"planned:release:{release.key}", "", (), False, False, True, inputs
                )
            )
        return inventory

    def owned(self) -> Iterator[Owned]:
        """Every planned object, with its component and owner."""
        cp = self.control_plane
        for m in [*cp.namespaces, *cp.resources]:
            yield Owned("istio-mesh:index:IstioControlPlane", CONTROL_PLANE, m, key_path("istio"))
        for name, ns in self.namespaces.items():
            for m in [ns.namespace, *ns.policies]:
                owner = self.owners.get(f"host:{m['spec']['hosts'][0]}") if m["kind"] == "ServiceEntry" else None
                yield Owned("istio-mesh:index:MeshNamespace", name, m, owner or self.owners[f"namespace:{name}"])
        for name, svc in self.services.items():
            for m in [*svc.workloads, *svc.istio]:
                owner = self.owners[f"service:{name}"]
                version = next((i for i, v in enumerate(svc.versions) if m["metadata"]["name"] == f"{name}-{v}"), None)
                where = f"{owner}.versions[{version}].name" if version is not None else f"{owner}.name"
                yield Owned("istio-mesh:index:MeshService", name, m, where)


def plan_environment(cfg: StackConfig) -> EnvironmentPlan:
    """The components that make up ``cfg``'s environment; raises ConfigError, at the
    user's key paths, for anything the specs or the whole plan refuse."""
    problems: list[Problem] = []
    cp = _spec(problems, control_plane_spec, cfg.istio, key_path("istio"))
    if cp is None:
        raise ConfigError(problems, "the stack config")
    owners: dict[str, str] = {}
    chosen = cfg.namespace_revisions or {}

    def ns_args(ns: str) -> MeshNamespaceArgs:
        out: MeshNamespaceArgs = {"revision": chosen.get(ns, cp.revision), "default_deny": cfg.default_deny}
        if cp.data_plane == "ambient":
            out = {"data_plane": DataPlane.AMBIENT, "default_deny": cfg.default_deny}
        if cfg.namespace_mtls_mode:
            out["mtls_mode"] = MtlsMode(cfg.namespace_mtls_mode)
        return out

    namespace_args: dict[str, MeshNamespaceArgs] = {}
    if cfg.external_hosts:
        # External hosts live in the default namespace, exported to the whole mesh.
        namespace_args[cfg.namespace] = ns_args(cfg.namespace)
        namespace_args[cfg.namespace]["external_hosts"] = list(cfg.external_hosts)
        owners[f"namespace:{cfg.namespace}"] = key_path("namespace")
        for i, ext in enumerate(cfg.external_hosts):
            owners[f"host:{ext['host']}"] = f"{key_path('external_hosts')}[{i}].host"
    for svc in cfg.services:
        namespace_args.setdefault(svc.namespace, ns_args(svc.namespace))
    service_args = _service_args(cfg, cp, namespace_args)
    for i, svc in enumerate(cfg.services):
        owners.setdefault(
            f"namespace:{svc.namespace}",
            key_path("namespace") if svc.namespace == cfg.namespace else f"{key_path('services')}[{i}].namespace",
        )
        owners[f"service:{svc.name}"] = f"{key_path('services')}[{i}]"
    namespaces = {
        name: ns_spec
        for name, args in namespace_args.items()
        if (ns_spec := _spec(problems, partial(mesh_namespace_spec, name), args, owners[f"namespace:{name}"]))
    }
    services = {
        name: svc_spec
        for name, args in service_args.items()
        if (svc_spec := _spec(problems, partial(mesh_service_spec, name), args, owners[f"service:{name}"]))
    }
    if problems:
        raise ConfigError(problems, "the stack config")
    plan = EnvironmentPlan(cp, namespaces, services, owners, service_args, namespace_args)
    problems = plan_problems(plan)
    if problems:
        raise ConfigError(problems, "the stack config")
    return plan


def _spec(problems: list[Problem], build: Callable[[A, str], S], args: A, path: str) -> S | None:
    try:
        return build(args, path)
    except ArgsError as err:
        problems += err.problems
        return None


def _service_args(
    cfg: StackConfig, cp: ControlPlaneSpec, namespace_args: Mapping[str, MeshNamespaceArgs]
) -> dict[str, MeshServiceArgs]:
    def host(name: str, namespace: str) -> str:
        return service_host(name, namespace, cp.cluster_domain)

    tracing = cfg.istio.get("tracing")
    by_name = {s.name: s for s in cfg.services}
    first_port = {s.name: s.args["ports"][0]["port"] for s in cfg.services}
    callers: dict[str, list[CallerArgs]] = {s.name: [] for s in cfg.services}
    for svc in cfg.services:
        for call in svc.calls:
            caller: CallerArgs = {"namespace": svc.namespace, "service_account": svc.name}
            if call.methods:
                caller["methods"] = list(call.methods)
            if call.paths:
                caller["paths"] = list(call.paths)
            callers[call.service].append(caller)
    services: dict[str, MeshServiceArgs] = {}
    for svc in cfg.services:
        derived_env: dict[str, str] = {}
        for call in svc.calls:
            callee = by_name[call.service]
            derived_env[f"{env_prefix(callee.name)}_HOST"] = host(callee.name, callee.namespace)
            derived_env[f"{env_prefix(callee.name)}_PORT"] = str(first_port[callee.name])
        args: MeshServiceArgs = {**svc.args, "namespace": svc.namespace, "service_name": svc.name}
        # Facts of the cluster and of this program, the same for every service.
        args.setdefault("trust_domain", cp.trust_domain)
        args.setdefault("cluster_domain", cp.cluster_domain)
        args.setdefault("root_namespace", cp.namespace)
        args.setdefault("part_of", PROJECT)
        args.setdefault("traffic_api", TrafficApi(cp.traffic_api))
        args.setdefault("data_plane", DataPlane(cp.data_plane))
        if cp.traffic_api == "gateway-api":
            args.setdefault("gateway_api_channel", GatewayApiChannel(cp.gateway_api_channel))
        if cp.data_plane != "ambient":
            # What injects the namespace: a new revision or version there rolls the pods.
            # (In ambient there is no sidecar: an upgrade restarts ztunnel, not the pods.)
            args["injected_by"] = cp.injected_by(
                namespace_args[svc.namespace].get("revision", NAMESPACE_DEFAULTS.revision)
            )
        # Explicit env wins over what the graph derives (check warns: MESH0405).
        secret = svc.args.get("secret_env", {})
        env = {**{k: v for k, v in derived_env.items() if k not in secret}, **svc.args.get("env", {})}
        if env:
            args["env"] = env
        svc_callers = list(callers[svc.name])
        if svc.entry and cp.gateway_ref:
            gw_hosts: list[Input[str]] = list(cfg.istio.get("gateway", {}).get("hosts", GATEWAY_DEFAULTS.hosts))
            args["expose"] = {"gateway": cp.gateway_ref, "hosts": gw_hosts}
            # The gateway's identity as its chart derives it from the merged values.
            svc_callers.append({"namespace": cp.gateway_namespace, "service_account": cp.gateway_service_account})
        if cfg.default_deny or svc_callers:
            # Under default-deny a service with no callers gets an empty ALLOW
            # list, which is what it should admit: nothing.
            args["allowed_callers"] = svc_callers
        if cfg.limit_egress:
            egress: list[Input[str]] = [
                *sorted(
                    {
                        f"{by_name[c.service].namespace}/{host(c.service, by_name[c.service].namespace)}"
                        for c in svc.calls
                    }
                    | {f"{cfg.namespace}/{h}" for h in svc.egress}
                    # Spans go to the collector, wherever it runs.
                    | ({f"*/{tracing['service']}"} if tracing else set())
                )
            ]
            args["egress_hosts"] = egress
        services[svc.name] = args
    return services


def plan_problems(plan: EnvironmentPlan) -> list[Problem]:
    """What the whole plan refuses: two objects with one identity or one URN, and
    objects the API server would not store."""
    problems: list[Problem] = []
    owned = list(plan.owned())
    for key, a, b in collisions((object_key(o.manifest), o) for o in owned):
        message = f"derives {describe(key)}, which {a.owner} derives too; rename one of them"
        problems += [Problem(b.owner, message), Problem(a.owner, message.replace(a.owner, b.owner))]
    # A child's URN is its parent's type, its own type and its name: not the parent's name.
    urns = (
        (o.component, pulumi_type(o.manifest), child_name(o.component_name, o.manifest["metadata"]["name"]))
        for o in owned
    )
    for key, a, b in collisions(zip(urns, owned, strict=True)):
        if object_key(a.manifest) != object_key(b.manifest):
            message = (
                f"derives the Pulumi resource {key[1]} {key[2]!r}, which {a.owner} derives too; rename one of them"
            )
            problems += [Problem(b.owner, message), Problem(a.owner, message.replace(a.owner, b.owner))]
    for o in owned:
        size = object_size(o.manifest)
        if size > MAX_OBJECT_BYTES:
            problems.append(
                Problem(
                    o.owner,
                    f"derives {describe(object_key(o.manifest))} of {size / 2**20:.1f} MiB; the API server stores "
                    f"at most {MAX_OBJECT_BYTES / 2**20:.1f} MiB per object",
                )
            )
    return problems

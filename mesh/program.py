"""The Pulumi program: one environment from its stack config. Thin wiring only."""

import gc
from typing import Any, cast

import pulumi

from istio_mesh import (
    IstioControlPlane,
    IstioControlPlaneArgs,
    MeshNamespace,
    MeshNamespaceArgs,
    MeshService,
    MeshServiceArgs,
)
from istio_mesh.control_plane_spec import control_plane_spec
from istio_mesh.service_spec import service_host
from mesh import upgrade_checks
from mesh.check import format_finding, preflight
from mesh.config import PROJECT, StackConfig, load
from mesh.environment import CONTROL_PLANE, EnvironmentPlan, plan_environment, planned_manifests


def tune_collector() -> None:
    """Switch off Python's automatic cyclic collector for this run (reference counting
    still frees everything else). Called by the Pulumi entry point and by
    ``python -m mesh``; the benchmark gives the baseline the same setting.

    A run only accumulates: Pulumi keeps every resource's futures, closures and
    outputs alive until the program ends, so nearly all the collector examines
    survives. At Python's default it rescans that growing heap for half of a run of
    a thousand services; at any threshold it still costs a share that grows with
    the mesh (at 50,000: 14% of a run at 100 services, 28% at 1,000). What it
    would free is Pulumi's own cycles, a few hundred small objects per
    registration: 10% to 15% of the peak at 1,000 services under the benchmark,
    gone when the run ends."""
    gc.disable()


def project_config() -> dict[str, Any]:
    """Every ``service-mesh:`` config value of the running stack, keyed without the prefix."""
    # Both sources the SDK itself reads: the map set by the language host (and
    # by mocks) over the process-wide PULUMI_CONFIG.
    merged = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    prefix = f"{PROJECT}:"
    return {k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)}


def read_config() -> StackConfig:
    """The running stack's config, validated (raises ConfigError)."""
    return load(project_config())


class AnalysisError(ValueError):
    """The mesh analysis found errors in what the program would register."""


def analyse(cfg: StackConfig, plan: EnvironmentPlan) -> None:
    """Run ``check``'s mesh analysis on the planned objects: warnings go to Pulumi's
    log, errors stop the run before anything is registered."""
    root = control_plane_spec(plan.control_plane).namespace
    findings = preflight(planned_manifests(plan), cfg.declared_calls, root) + upgrade_checks.of_plan(plan)
    for finding in findings:
        if finding.severity != "error":
            pulumi.log.warn(format_finding(finding))
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        listed = "\n".join(format_finding(f) for f in errors)
        raise AnalysisError(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the planned mesh:\n{listed}")


def build(cfg: StackConfig, *, analysis: bool = True) -> dict[str, Any]:
    """Analyse (unless ``analysis`` is off, as ``check`` does its own), then register
    the environment; return its stack outputs."""
    plan = plan_environment(cfg)
    if analysis:
        analyse(cfg, plan)
    control_plane = IstioControlPlane(CONTROL_PLANE, cast(IstioControlPlaneArgs, plan.control_plane))
    ready = control_plane.ready
    namespaces = {
        name: MeshNamespace(name, cast(MeshNamespaceArgs, args), pulumi.ResourceOptions(depends_on=ready))
        for name, args in plan.namespaces.items()
    }
    for name, args in plan.services.items():
        MeshService(
            name,
            cast(MeshServiceArgs, args),
            # The namespace comes after istiod, so this one dependency orders the
            # service after the control plane too, at a third of the cost.
            pulumi.ResourceOptions(depends_on=[namespaces[args["namespace"]].resource]),
        )
    return {
        "istio_version": control_plane.version,
        "istio_revision": control_plane.revision,
        "istio_status": control_plane.istiod_status,
        "gateway": control_plane.gateway,
        "namespaces": sorted(namespaces),
        # Known from the plan: no Output per service, which costs at a thousand services.
        "services": {
            name: f"{service_host(name, args['namespace'], args['cluster_domain'])}:{args['ports'][0]['port']}"
            for name, args in plan.services.items()
        },
    }


def main() -> None:
    """Entry point under the Pulumi CLI: bad config stops the run with its problems, no traceback."""
    tune_collector()
    try:
        cfg = read_config()
        outputs = build(cfg)
    except ValueError as err:  # ConfigError, ArgsError from a component, AnalysisError
        raise pulumi.RunError(str(err)) from None
    for key, value in outputs.items():
        pulumi.export(key, value)

"""The Pulumi program: one environment from its stack config. Thin wiring only.

config (``mesh.config``) → plan (``mesh.environment``) → analysis (``mesh.analysis``)
→ registration, here, of the very specs the plan built.
"""

from pathlib import Path
from typing import Any

import pulumi

from istio_mesh import IstioControlPlane, MeshNamespace, MeshService
from mesh.analysis import ERROR, format_finding, preflight
from mesh.config import PROJECT, StackConfig, load
from mesh.environment import CONTROL_PLANE, EnvironmentPlan, plan_environment
from mesh.stackfile import StackFileError, read_yaml, secret_leaves


def project_config() -> dict[str, Any]:
    """Every ``service-mesh:`` config value of the running stack, keyed without the prefix."""
    # Both sources the SDK itself reads: the map set by the language host (and
    # by mocks) over the process-wide PULUMI_CONFIG.
    merged = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    prefix = f"{PROJECT}:"
    return {k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)}


def read_config(stack_file: Path | None = None) -> StackConfig:
    """The running stack's config, validated (raises ConfigError).

    Where it holds secrets comes from the stack file (``Pulumi.<stack>.yaml`` in the
    project folder, the CLI's working directory, or in its ``stackConfigDir``):
    ``pulumi config set --secret --path`` leaves a ``secure:`` marker at each secret
    leaf. A key the engine reports secret but the file does not explain is taken as
    secret as a whole."""
    raw = project_config()
    leaves = secret_leaves(stack_file or default_stack_file(Path.cwd(), pulumi.get_stack()))
    env_secret = set(pulumi.runtime.config.get_config_secret_keys_env())
    for key in raw:
        full = f"{PROJECT}:{key}"
        if (pulumi.runtime.config.is_config_secret(full) or full in env_secret) and key not in leaves:
            leaves[key] = [()]
    return load(raw, leaves)


def default_stack_file(project_dir: Path, stack: str) -> Path:
    """Where the CLI keeps a stack's file: beside Pulumi.yaml, or in its ``stackConfigDir``."""
    try:
        settings = read_yaml(project_dir / "Pulumi.yaml")
    except StackFileError:
        settings = {}
    folder = settings.get("stackConfigDir") if isinstance(settings.get("stackConfigDir"), str) else "."
    return project_dir / str(folder) / f"Pulumi.{stack}.yaml"


class AnalysisError(ValueError):
    """The mesh analysis found errors in what the program would register."""


def analyse(cfg: StackConfig, plan: EnvironmentPlan) -> None:
    """Run ``check``'s mesh analysis on the planned objects: warnings go to Pulumi's
    log, errors stop the run before anything is registered."""
    findings = preflight(plan.inventory(), cfg.declared_calls)
    for finding in findings:
        if finding.severity != ERROR:
            pulumi.log.warn(format_finding(finding))
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        listed = "\n".join(format_finding(f) for f in errors)
        raise AnalysisError(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the planned mesh:\n{listed}")


def build(cfg: StackConfig, *, analysis: bool = True, plan: EnvironmentPlan | None = None) -> dict[str, Any]:
    """Plan, analyse (unless ``analysis`` is off, as ``check`` does its own), then
    register the environment; return its stack outputs. ``plan``: ``cfg``'s plan when
    it is already built (offline runs plan before the mock runtime starts)."""
    plan = plan or plan_environment(cfg)
    for note in cfg.notes:
        pulumi.log.info(note)
    if analysis:
        analyse(cfg, plan)
    return register(plan)


def register(plan: EnvironmentPlan) -> dict[str, Any]:
    """Register the plan's specs as components; return the stack outputs."""
    control_plane = IstioControlPlane.of_spec(CONTROL_PLANE, plan.control_plane)
    ready = control_plane.ready
    namespaces = {
        name: MeshNamespace.of_spec(name, spec, pulumi.ResourceOptions(depends_on=ready))
        for name, spec in plan.namespaces.items()
    }
    for name, spec in plan.services.items():
        MeshService.of_spec(
            name,
            spec,
            # The namespace comes after istiod, so this one dependency orders the
            # service after the control plane too, at a third of the cost.
            pulumi.ResourceOptions(depends_on=[namespaces[spec.namespace].resource]),
        )
    return {
        "istio_version": control_plane.version,
        "istio_revision": control_plane.revision,
        "istio_status": control_plane.istiod_status,
        "gateway": control_plane.gateway,
        "namespaces": sorted(namespaces),
        # Known from the plan: no Output per service, which costs at a thousand services.
        "services": {name: f"{spec.host}:{spec.port}" for name, spec in plan.services.items()},
    }


def main() -> None:
    """Entry point under the Pulumi CLI: bad config stops the run with its problems, no traceback."""
    try:
        cfg = read_config()
        outputs = build(cfg)
    except ValueError as err:  # ConfigError, ArgsError from a component, AnalysisError
        raise pulumi.RunError(str(err)) from None
    for key, value in outputs.items():
        pulumi.export(key, value)

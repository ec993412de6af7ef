"""The Pulumi program: one environment from its stack config. Thin wiring only."""

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
from mesh.config import PROJECT, StackConfig, load
from mesh.environment import CONTROL_PLANE, plan_environment


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


def build(cfg: StackConfig) -> dict[str, Any]:
    """Register the environment; return its stack outputs."""
    plan = plan_environment(cfg)
    control_plane = IstioControlPlane(CONTROL_PLANE, cast(IstioControlPlaneArgs, plan.control_plane))
    ready = control_plane.ready
    namespaces = {
        name: MeshNamespace(name, cast(MeshNamespaceArgs, args), pulumi.ResourceOptions(depends_on=ready))
        for name, args in plan.namespaces.items()
    }
    services = {
        name: MeshService(
            name,
            cast(MeshServiceArgs, args),
            pulumi.ResourceOptions(depends_on=[*ready, namespaces[args["namespace"]].resource]),
        )
        for name, args in plan.services.items()
    }
    return {
        "istio_version": control_plane.version,
        "istio_revision": control_plane.revision,
        "istio_status": control_plane.istiod_status,
        "gateway": control_plane.gateway,
        "namespaces": sorted(namespaces),
        "services": {name: pulumi.Output.concat(svc.host, ":", svc.port.apply(str)) for name, svc in services.items()},
    }


def main() -> None:
    """Entry point under the Pulumi CLI: bad config stops the run with its problems, no traceback."""
    try:
        cfg = read_config()
    except ValueError as err:  # ConfigError, and ArgsError from a component
        raise pulumi.RunError(str(err)) from None
    for key, value in build(cfg).items():
        pulumi.export(key, value)

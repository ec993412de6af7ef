"""Run the program offline under Pulumi's mock runtime, recording every registration.

This is how ``render``, ``check`` and the tests see exactly what ``pulumi up``
would register: the same ``build`` function, the same config as the CLI would
feed it from ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``, and a mock monitor that
keeps each resource's type, name, parent, dependencies, options and inputs as
the analysis' plain ``Resource``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from istio_mesh import defaults
from mesh.analysis.model import HELM_RELEASE, Inventory, Resource, object_name
from mesh.config import PROJECT, load
from mesh.environment import plan_environment
from mesh.program import analyse, build, read_config
from mesh.stackfile import PROJECT_DIR, SECRET_PLACEHOLDER, StackFileError, secret_leaves, stack_config

__all__ = [
    "HELM_RELEASE",
    "PROJECT",
    "PROJECT_DIR",
    "MeshMocks",
    "OfflineRun",
    "StackFileError",
    "object_name",
    "run",
    "run_stack",
    "stack_config",
]


@dataclass
class OfflineRun(Inventory):
    """What one offline run registered and exported."""

    outputs: dict[str, Any] = field(default_factory=dict)
    declared_calls: set[tuple[str, str]] | None = None
    """(caller, callee) pairs the stack config declares, when run from a stack."""
    gateway_api_channel: str = "standard"
    """The Gateway API channel whose CRDs the stack's cluster has (`istio.gateway_api.channel`)."""
    wire: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each registration's inputs as Pulumi serialized them for the engine, by URN:
    secrets still wrapped, as the engine and the state receive them."""

    @property
    def registrations(self) -> list[Resource]:
        """Every resource registered, components included."""
        return self.resources


def _placeholders(value: Any) -> Any:
    """Secret values as ``[secret]``: what render and check show, never the value."""
    if rpc.is_rpc_secret(value):
        return _masked(value["value"])
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def _masked(value: Any) -> Any:
    """Every leaf of a secret as the placeholder; maps and lists keep their shape,
    so that schemas still apply."""
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return SECRET_PLACEHOLDER


def _ints(value: Any) -> Any:
    """Pulumi's wire format carries every number as a float; the provider sends
    whole ones to the API server as integers, and so do we."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


AUTONAME_SUFFIX = "autoname"
"""What render and check show in place of the random suffix Pulumi gives an object it names."""


class MeshMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        state = dict(args.inputs)
        if args.typ == HELM_RELEASE:
            # What a healthy install reports; a real cluster fills this in.
            state["status"] = {
                "name": args.inputs.get("name"),
                "namespace": args.inputs.get("namespace"),
                "chart": args.inputs.get("chart"),
                "version": args.inputs.get("version"),
                "status": "deployed",
            }
        elif args.typ.startswith("kubernetes:") and "name" not in (state.get("metadata") or {"name": None}):
            # The provider names an object left unnamed: `<resource name>-<8 random characters>`.
            state["metadata"] = {**state["metadata"], "name": f"{args.name}-{AUTONAME_SUFFIX}"}
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks, run: OfflineRun) -> None:
        super().__init__(mocks)
        self._run = run

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            inputs = _ints(_placeholders(rpc.deserialize_properties(request.object)))
            meta = inputs.get("metadata")
            if isinstance(meta, dict) and "name" not in meta:
                # Named by the provider: render and check show that name, as the cluster will.
                named = (rpc.deserialize_properties(response.object).get("metadata") or {}).get("name")
                if named:
                    inputs["metadata"] = {**meta, "name": named}
            self._run.resources.append(
                Resource(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    dependencies=tuple(request.dependencies),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
                    custom=bool(request.custom),
                    inputs=inputs,
                )
            )
            self._run.wire[response.urn] = json_format.MessageToDict(request.object)
        return response


def run(program: Callable[[], Mapping[str, Any]], config: Mapping[str, str], stack: str) -> OfflineRun:
    """Run ``program`` under mocks with ``config`` (full keys, string values, as the CLI passes them)."""
    result = OfflineRun()
    mocks = MeshMocks()
    # A fresh root stack per run, so that one run's exports never leak into the next.
    pulumi.runtime.settings.reset_options(project=PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_all_config(dict(config), [])
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=False, monitor=_RecordingMonitor(mocks, result)
    )

    def body() -> pulumi.Output[None]:
        outputs = dict(program())
        # What the program exported with pulumi.export, as the CLI would show it.
        root = pulumi.runtime.settings.get_root_resource()
        exported = dict(getattr(root, "outputs", {}) or {})
        return pulumi.Output.from_input({**exported, **outputs}).apply(result.outputs.update)

    pulumi.runtime.test(body)()  # type: ignore[no-untyped-call]
    return result


def run_stack(
    stack: str, project_dir: Path = PROJECT_DIR, *, analysis: bool = True, stack_file: Path | None = None
) -> OfflineRun:
    """Run the real program for a stack offline. Raises ConfigError on bad config and,
    with ``analysis``, AnalysisError when the mesh analysis finds errors, in both cases
    before anything is registered."""
    config = stack_config(stack, project_dir, stack_file)
    stack_file = stack_file or project_dir / f"Pulumi.{stack}.yaml"
    # Validate before the mock runtime starts, so bad config registers nothing.
    prefix = f"{PROJECT}:"
    cfg = load({k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}, secret_leaves(stack_file))
    plan = plan_environment(cfg)
    if analysis:
        analyse(cfg, plan)

    def program() -> Mapping[str, Any]:
        # The config as the program reads it under the runtime, as `pulumi up` does; the
        # plan already built when it is the same (it is, unless the runtime disagrees).
        running = read_config(stack_file)
        return build(running, analysis=False, plan=plan if running == cfg else None)

    result = run(program, config, stack)
    result.declared_calls = cfg.declared_calls
    result.gateway_api_channel = str(cfg.istio.get("gateway_api", {}).get("channel", defaults.GATEWAY_API.channel))
    return result

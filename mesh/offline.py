"""Run the program offline under Pulumi's mock runtime, recording every registration.

This is how ``render``, ``check`` and the tests see exactly what ``pulumi up``
would register: the same ``build`` function, the same config as the CLI would
feed it from ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``, and a mock monitor that
keeps each resource's type, name, parent, dependencies, options and inputs.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from mesh.config import PROJECT

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The folder of Pulumi.yaml and the stack files."""

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


class StackFileError(ValueError):
    """A stack file that cannot be read as the CLI would."""


@dataclass(frozen=True)
class Registration:
    """One resource the program registered."""

    type: str
    name: str
    urn: str
    parent: str
    dependencies: tuple[str, ...]
    protect: bool
    retain_on_delete: bool
    custom: bool
    inputs: dict[str, Any]

    @property
    def kind(self) -> str:
        """The Kubernetes kind, or the Pulumi type for anything else."""
        return str(self.inputs.get("kind") or self.type.rsplit(":", 1)[-1])


@dataclass
class OfflineRun:
    """What one offline run registered and exported."""

    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    declared_calls: set[tuple[str, str]] | None = None
    """(caller, callee) pairs the stack config declares, when run from a stack."""

    def by_urn(self) -> dict[str, Registration]:
        """Registrations keyed by URN (rebuilt only when registrations were added)."""
        cached = self.__dict__.get("_by_urn")
        if cached is None or len(cached) != len(self.registrations):
            cached = {r.urn: r for r in self.registrations}
            self.__dict__["_by_urn"] = cached
        return cached

    def custom(self) -> list[Registration]:
        """Only the real resources (not components), in a stable order."""
        cached = self.__dict__.get("_custom")
        if cached is None or self.__dict__.get("_custom_of") != len(self.registrations):
            cached = sorted((r for r in self.registrations if r.custom), key=lambda r: r.urn)
            self.__dict__["_custom"], self.__dict__["_custom_of"] = cached, len(self.registrations)
        return list(cached)

    def find(self, kind: str, name: str | None = None) -> list[Registration]:
        """Custom resources of a kind, optionally of one metadata or release name."""
        return [r for r in self.custom() if r.kind == kind and (name is None or object_name(r) == name)]

    def component_of(self, reg: Registration) -> str:
        """Name of the top-level component a resource belongs to."""
        by_urn = self.by_urn()
        current = reg
        while current.parent in by_urn:
            current = by_urn[current.parent]
        return current.name


def object_name(reg: Registration) -> str:
    """The Kubernetes name (or Helm release name) of a registration."""
    meta = reg.inputs.get("metadata") or {}
    return str(meta.get("name") or reg.inputs.get("name") or reg.name)


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
            self._run.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    dependencies=tuple(request.dependencies),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
                    custom=bool(request.custom),
                    inputs=_ints(rpc.deserialize_properties(request.object)),
                )
            )
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


def _cli_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def stack_config(stack: str, project_dir: Path = PROJECT_DIR, stack_file: Path | None = None) -> dict[str, str]:
    """The config the CLI would pass for ``stack``: project defaults from Pulumi.yaml,
    overridden by Pulumi.<stack>.yaml (or ``stack_file``, a stack file kept elsewhere,
    such as an example), every value as text (structured ones as JSON)."""
    project_file = project_dir / "Pulumi.yaml"
    if stack_file is not None:
        if not stack_file.is_file():
            raise StackFileError(f"no stack file {stack_file}")
    else:
        stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackFileError(f"no stack {stack!r}: {stack_file} does not exist; stacks here: {', '.join(stacks)}")
    project = yaml.safe_load(project_file.read_text()) or {}
    if project.get("name") != PROJECT:
        raise StackFileError(f"{project_file} names project {project.get('name')!r}, expected {PROJECT!r}")
    stack_values = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    config: dict[str, str] = {}
    for key, decl in (project.get("config") or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(decl, Mapping) and "default" in decl:
            config[full] = _cli_value(decl["default"])
        elif full not in stack_values:
            raise StackFileError(f"{stack_file.name}: missing required config {full!r} (declared in Pulumi.yaml)")
    for key, value in stack_values.items():
        if isinstance(value, Mapping) and "secure" in value:
            raise StackFileError(f"{stack_file.name}: {key} is a secret; offline runs cannot decrypt it")
        config[key] = _cli_value(value)
    return config


def run_stack(
    stack: str, project_dir: Path = PROJECT_DIR, *, analysis: bool = True, stack_file: Path | None = None
) -> OfflineRun:
    """Run the real program for a stack offline. Raises ConfigError on bad config and,
    with ``analysis``, AnalysisError when the mesh analysis finds errors, in both cases
    before anything is registered."""
    from mesh.config import load
    from mesh.environment import plan_environment
    from mesh.program import analyse, build, read_config

    config = stack_config(stack, project_dir, stack_file)
    # Validate before the mock runtime starts, so bad config registers nothing.
    prefix = f"{PROJECT}:"
    cfg = load({k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)})
    if analysis:
        analyse(cfg, plan_environment(cfg))

    def program() -> Mapping[str, Any]:
        return build(read_config(), analysis=False)

    result = run(program, config, stack)
    result.declared_calls = cfg.declared_calls
    return result

"""Golden snapshots of every stack's plan: each object and Helm release the program
would register, exactly, for the three stacks and each example stack.

A change to what a stack deploys shows up here as a diff to review. When the change is
meant, rewrite the snapshots with ``MESH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest
tests/test_golden.py`` and commit them with it. Pure: no Pulumi runtime, so it is fast
enough to run for every mutant of the spec builders (mutation/README.md)."""

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mesh.config import PROJECT, load
from mesh.environment import plan_environment
from mesh.stackfile import PROJECT_DIR, secret_leaves, stack_config

GOLDEN = Path(__file__).parent / "golden"
STACKS: dict[str, Path] = {
    **{stack: PROJECT_DIR / f"Pulumi.{stack}.yaml" for stack in ("dev", "staging", "prod")},
    **{f"example-{p.stem}": p for p in sorted((PROJECT_DIR / "examples" / "stacks").glob("*.yaml"))},
}


def snapshot(stack_file: Path) -> dict[str, Any]:
    """What the stack's plan registers: Helm releases (chart, version, values) and objects."""
    stack = stack_file.stem.removeprefix("Pulumi.")
    config = stack_config(stack, PROJECT_DIR, stack_file)
    prefix = f"{PROJECT}:"
    cfg = load({k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}, secret_leaves(stack_file))
    plan = plan_environment(cfg)
    releases = [
        {"name": r.name, "chart": r.chart, "version": r.version, "namespace": r.namespace, "values": r.values}
        for r in plan.control_plane.releases
    ]
    return {"releases": releases, "objects": [{"owner": o.owner, **o.manifest} for o in plan.owned()]}


def text(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, default=str) + "\n"


def matches_golden(name: str, value: Any) -> None:
    """Fail with a diff unless ``value`` is ``golden/<name>.json`` (MESH_UPDATE_GOLDEN=1 rewrites it)."""
    path = GOLDEN / f"{name}.json"
    actual = text(value)
    if os.environ.get("MESH_UPDATE_GOLDEN") == "1":
        path.write_text(actual)
    expected = path.read_text() if path.exists() else ""
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(path), "now", n=2))
        pytest.fail(f"{name} differs from {path.name} (MESH_UPDATE_GOLDEN=1 rewrites it):\n{diff[:6000]}")


def matches_golden_entry(name: str, key: str, value: Any) -> None:
    """Fail unless ``value`` is entry ``key`` of ``golden/<name>.json``, a map that many tests
    share, each its own key (MESH_UPDATE_GOLDEN=1 rewrites that entry alone)."""
    path = GOLDEN / f"{name}.json"
    entries: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    actual = json.loads(text(value))
    if os.environ.get("MESH_UPDATE_GOLDEN") == "1":
        entries[key] = actual
        path.write_text(text(entries))
    if entries.get(key) != actual:
        pytest.fail(f"{key} of {path.name} is now {text(actual)[:4000]} (MESH_UPDATE_GOLDEN=1 rewrites it)")


@pytest.mark.parametrize("name", sorted(STACKS))
def test_each_stack_plans_exactly_its_golden_snapshot(name):
    matches_golden(name, snapshot(STACKS[name]))


def test_every_stack_and_example_has_a_snapshot_and_no_snapshot_is_stale():
    findings = {"findings-analyzers", "findings-risks", "findings-stacks", "findings-cases"}
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted({*STACKS, *findings})

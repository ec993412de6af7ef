"""Shared helpers: run programs and components offline under Pulumi's mocks."""

import copy
import gc
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from mesh.analysis.schemas import crd_path
from mesh.offline import OfflineRun, run, run_stack


def crds() -> Path:
    """Istio's CRDs, where the analysis looks for them."""
    return crd_path()


# Decided when each test starts, not when this file is imported: nothing here runs the
# program's code at import (mutation testing switches its mutants after the imports).
needs_crds = pytest.mark.needs_crds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_crds: skip unless Istio's CRDs are found")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_crds") and not crds().exists():
        pytest.skip(f"Istio CRDs not found at {crds()}; set MESH_ISTIO_CRDS")


BASE_SERVICE: dict[str, Any] = {
    "namespace": "shop",
    "versions": [{"name": "v1", "image": "registry.example/review:1.0.0"}],
    "ports": [{"port": 9080}],
}


def service_args(**overrides: Any) -> dict[str, Any]:
    """MeshServiceArgs for a one-version service, with overrides."""
    return {**copy.deepcopy(BASE_SERVICE), **overrides}


def run_program(program: Callable[[], Mapping[str, Any] | None], config: Mapping[str, str] | None = None) -> OfflineRun:
    """Run any program under the recording mocks."""
    return run(lambda: program() or {}, config or {}, "test")


@pytest.fixture(scope="session")
def stacks() -> dict[str, OfflineRun]:
    """Each real stack, run once for the whole session."""
    return {name: run_stack(name) for name in ("dev", "staging", "prod")}


@pytest.fixture(autouse=True)
def collector_on():
    """The collector back on after each test: the entry points switch it off for their process."""
    yield
    gc.enable()

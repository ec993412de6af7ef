"""Mocks for the package's own tests: only pulumi and the package are needed."""

import copy
from typing import Any

import pulumi
import pytest

BASE_SERVICE: dict[str, Any] = {
    "namespace": "shop",
    "versions": [{"name": "v1", "image": "registry.example/review:1.0.0"}],
    "ports": [{"port": 9080}],
}


def service_args(**overrides: Any) -> dict[str, Any]:
    """MeshServiceArgs for a one-version service, with overrides."""
    return {**copy.deepcopy(BASE_SERVICE), **overrides}


class Mocks(pulumi.runtime.Mocks):
    """Every resource echoes its inputs; Helm releases report a deployed status."""

    def __init__(self) -> None:
        self.created: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        state = dict(args.inputs)
        if args.typ == "kubernetes:helm.sh/v3:Release":
            state["status"] = {"status": "deployed"}
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def mocks() -> Mocks:
    mocks = Mocks()
    pulumi.runtime.settings.reset_options(project="istio-mesh-tests", stack="test", preview=False)
    pulumi.runtime.set_mocks(mocks, project="istio-mesh-tests", stack="test", preview=False)
    return mocks

"""Pulumi's own component analyzer accepts the components and derives their schema."""

import json

import pytest
from pulumi.provider.experimental.component import ComponentProvider

from istio_mesh import IstioControlPlane, MeshNamespace, MeshService


@pytest.fixture(scope="module")
def schema():
    provider = ComponentProvider([IstioControlPlane, MeshService, MeshNamespace], "istio-mesh", version="0.1.0")
    assert provider.schema is not None
    return json.loads(provider.schema)


def test_components_have_istio_mesh_index_tokens(schema):
    assert set(schema["resources"]) == {
        f"istio-mesh:index:{c}" for c in ("IstioControlPlane", "MeshService", "MeshNamespace")
    }


def test_mesh_service_inputs_are_camel_case_with_the_right_required_ones(schema):
    svc = schema["resources"]["istio-mesh:index:MeshService"]
    assert set(svc["requiredInputs"]) == {"namespace", "versions", "ports"}
    assert {"trafficPolicy", "allowedCallers", "routes"} <= set(svc["inputProperties"])
    assert set(svc["properties"]) == {"serviceName", "namespace", "host", "port", "versions"}


def test_nested_types_and_enums_are_not_empty_and_carry_their_defaults(schema):
    route = schema["types"]["istio-mesh:index:RouteArgs"]["properties"]
    assert {"match", "destinations", "retries", "timeout", "fault", "mirror"} <= set(route)
    protocol = schema["types"]["istio-mesh:index:Protocol"]
    assert [e["value"] for e in protocol["enum"]] == ["http", "http2", "grpc", "tcp"]
    replicas = schema["resources"]["istio-mesh:index:MeshService"]["inputProperties"]["replicas"]
    assert "Default: 1" in replicas["description"]

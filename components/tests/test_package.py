"""The package as others use it: installed alone, from Python, and through the provider as another language calls it."""

import runpy
from pathlib import Path

import pulumi
import pytest
from pulumi.errors import InputPropertyError

import istio_mesh
from istio_mesh.reference import provider

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_the_public_api_is_importable_from_the_package():
    for name in (
        "IstioControlPlane",
        "MeshNamespace",
        "MeshService",
        "MeshServiceArgs",
        "IstioControlPlaneArgs",
        "ArgsError",
    ):
        assert hasattr(istio_mesh, name)
    assert istio_mesh.__version__.count(".") == 2


def run_under_mocks(body):
    """Run ``body`` in the mock runtime and wait for every registration; return what it resolved."""
    resolved = {}

    @pulumi.runtime.test
    def wrapper():
        return pulumi.Output.from_input(body()).apply(resolved.update)

    wrapper()
    return resolved


def created(mocks):
    """Created objects by kind and Kubernetes (or release) name."""
    return {
        (a.typ.split(":")[-1], (a.inputs.get("metadata") or {}).get("name") or a.inputs.get("name")): a.inputs
        for a in mocks.created
    }


def test_the_python_example_wires_two_services_by_reference_alone(mocks):
    resolved = run_under_mocks(
        lambda: {"host": runpy.run_path(str(EXAMPLES / "python" / "__main__.py"))["product"].host}
    )
    assert resolved == {"host": "product.shop.svc.cluster.local"}
    objects = created(mocks)
    kinds = {kind for kind, _ in objects}
    assert {"Deployment", "Service", "VirtualService", "Release", "AuthorizationPolicy", "Sidecar"} <= kinds
    env = objects[("Deployment", "product-v1")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "REVIEW_HOST", "value": "review.shop.svc.cluster.local"} in env
    assert {"name": "REVIEW_PORT", "value": "9080"} in env
    grant = objects[("AuthorizationPolicy", "review-from-product")]
    assert grant["metadata"]["namespace"] == "shop"
    assert grant["spec"]["rules"][0]["from"][0]["source"]["principals"] == ["cluster.local/ns/shop/sa/product"]
    assert objects[("Namespace", "shop")]["metadata"]["labels"] == {"istio-injection": "enabled"}
    ingress = objects[("VirtualService", "product-ingress")]
    assert ingress["spec"]["gateways"] == ["istio-ingress/istio-ingress"]
    admitted = objects[("AuthorizationPolicy", "product")]["spec"]["rules"][0]["from"][0]["source"]["principals"]
    assert admitted == ["cluster.local/ns/istio-ingress/sa/istio-ingress"]


def test_construct_maps_camel_case_inputs_and_enum_values(mocks):
    inputs = {
        "namespace": "shop",
        "serviceName": "ratings",
        "versions": [{"name": "v1", "image": "a:1"}],
        "ports": [{"port": 9080, "protocol": "grpc"}],
        "trafficPolicy": {"loadBalancer": "RANDOM"},
    }
    resolved = run_under_mocks(
        lambda: provider().construct("rating", "istio-mesh:index:MeshService", inputs, None).state
    )
    assert resolved["host"] == "ratings.shop.svc.cluster.local"
    objects = created(mocks)
    assert objects[("Service", "ratings")]["spec"]["ports"][0]["name"] == "grpc"
    assert objects[("DestinationRule", "ratings")]["spec"]["trafficPolicy"] == {"loadBalancer": {"simple": "RANDOM"}}


def test_construct_builds_the_control_plane_from_camel_case_inputs(mocks):
    inputs = {"gateway": {"serviceType": "NodePort"}, "outboundTrafficPolicy": "REGISTRY_ONLY"}
    resolved = run_under_mocks(
        lambda: provider().construct("istio", "istio-mesh:index:IstioControlPlane", inputs, None).state
    )
    assert resolved["gateway"] == "istio-ingress/istio-ingress"
    releases = {name: i for (kind, name), i in created(mocks).items() if kind == "Release"}
    assert releases["istio-ingress"]["values"]["service"] == {"type": "NodePort"}
    assert releases["istiod"]["values"]["meshConfig"]["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}


def test_construct_names_a_missing_required_input():
    with pytest.raises(InputPropertyError, match="Missing required input 'versions' on 'MeshService'"):
        provider().construct("x", "istio-mesh:index:MeshService", {"namespace": "shop", "ports": [{"port": 80}]}, None)


def test_construct_names_an_enum_value_outside_its_members():
    inputs = {
        "namespace": "shop",
        "versions": [{"name": "v1", "image": "a:1"}],
        "ports": [{"port": 80, "protocol": "quic"}],
    }
    with pytest.raises(InputPropertyError, match=r"ports\[0\].protocol"):
        provider().construct("x", "istio-mesh:index:MeshService", inputs, None)

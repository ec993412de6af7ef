"""The package as others use it: installed alone, from Python, and through the provider as another language calls it."""

import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
from conftest import Mocks
from pulumi.errors import InputPropertyError
from pulumi.runtime.mocks import MockMonitor

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


@pytest.fixture
def dependencies() -> dict[str, list[str]]:
    """Each registration's explicit dependencies (URNs), by ``<type>::<name>``, as the engine gets them."""
    recorded: dict[str, list[str]] = {}
    mocks = Mocks()

    class Recording(MockMonitor):
        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            recorded[f"{request.type}::{request.name}"] = list(request.dependencies)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    pulumi.runtime.settings.reset_options(project="istio-mesh-tests", stack="test", preview=False)
    pulumi.runtime.set_mocks(mocks, project="istio-mesh-tests", stack="test", preview=False, monitor=Recording(mocks))
    return recorded


def test_other_languages_order_namespace_and_service_after_the_control_plane_by_resource_references(dependencies):
    """As the provider hands them over from another language: the releases as one Output
    of a list of references, the namespace as a reference; no `dependsOn` anywhere."""

    def body() -> dict[str, Any]:
        p = provider()
        cp = p.construct("istio", "istio-mesh:index:IstioControlPlane", {}, None).state
        ns = p.construct("shop", "istio-mesh:index:MeshNamespace", {"controlPlaneReady": cp["readyReleases"]}, None)
        inputs = {
            "namespace": "shop",
            "namespaceResource": ns.state["namespaceResource"],
            "versions": [{"name": "v1", "image": "a:1"}],
            "ports": [{"port": 9080}],
        }
        p.construct("review", "istio-mesh:index:MeshService", inputs, None)
        return {"releases": cp["readyReleases"].apply(len)}

    resolved = run_under_mocks(body)
    ready = [urn.rsplit("::", 1)[-1] for urn in dependencies["istio-mesh:index:MeshNamespace::shop"]]
    assert sorted(ready) == ["istio-base", "istio-istiod"]
    assert resolved["releases"] == 2
    (namespace_urn,) = dependencies["istio-mesh:index:MeshService::review"]
    assert namespace_urn.endswith("kubernetes:core/v1:Namespace::shop")


def test_a_service_ordered_after_a_list_of_release_references_in_python(dependencies):
    from istio_mesh import IstioControlPlane, MeshService

    def body() -> dict[str, Any]:
        cp = IstioControlPlane("istio", {})
        MeshService(
            "review",
            {
                "namespace": "shop",
                "control_plane_ready": cp.ready_releases,
                "versions": [{"name": "v1", "image": "a:1"}],
                "ports": [{"port": 9080}],
            },
        )
        return {}

    run_under_mocks(body)
    assert sorted(urn.rsplit("::", 1)[-1] for urn in dependencies["istio-mesh:index:MeshService::review"]) == [
        "istio-base",
        "istio-istiod",
    ]


def test_a_reference_of_the_wrong_kind_is_refused_at_its_key():
    from istio_mesh import ArgsError, MeshService
    from istio_mesh.service_spec import mesh_service_spec

    base = {"namespace": "shop", "versions": [{"name": "v1", "image": "a:1"}], "ports": [{"port": 9080}]}
    with pytest.raises(
        ArgsError, match=r"args.control_plane_ready: expected a list of Release resources, got 'istiod'"
    ):
        mesh_service_spec("review", {**base, "control_plane_ready": "istiod"})  # type: ignore[typeddict-item]
    with pytest.raises(ArgsError, match=r"args.control_plane_ready\[0\]: expected a Release resource, got 'istiod'"):
        mesh_service_spec("review", {**base, "control_plane_ready": ["istiod"]})  # type: ignore[list-item]

    with pytest.raises(ArgsError, match=r"args.namespace_resource: expected a Namespace resource, got 'shop'"):
        MeshService(
            "review",
            {
                "namespace": "shop",
                "namespace_resource": "shop",  # type: ignore[typeddict-item]
                "versions": [{"name": "v1", "image": "a:1"}],
                "ports": [{"port": 9080}],
            },
        )


def test_the_yaml_example_builds_through_the_provider_wired_by_references_alone(dependencies):
    """Each resource of examples/yaml/Pulumi.yaml constructed through the provider, as Pulumi
    YAML would, its `${resource.output}` references resolved to the states constructed before."""
    import re

    import yaml

    program = yaml.safe_load((EXAMPLES / "yaml" / "Pulumi.yaml").read_text())

    def resolve(value: Any, states: dict[str, dict[str, Any]]) -> Any:
        if isinstance(value, str) and (m := re.fullmatch(r"\$\{([\w-]+)\.(\w+)\}", value)):
            return states[m[1]][m[2]]
        if isinstance(value, dict):
            return {k: resolve(v, states) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, states) for v in value]
        return value

    def body() -> dict[str, Any]:
        p = provider()
        states: dict[str, dict[str, Any]] = {}
        for name, res in program["resources"].items():
            assert "options" not in res, f"{name}: wired by options, not references"
            states[name] = p.construct(name, res["type"], resolve(res.get("properties", {}), states), None).state
        return {"host": states["hello"]["host"]}

    assert run_under_mocks(body) == {"host": "hello.hello.svc.cluster.local"}
    after_istio = sorted(u.rsplit("::", 1)[-1] for u in dependencies["istio-mesh:index:MeshNamespace::hello-ns"])
    assert after_istio == ["istio-base", "istio-istiod"]
    (namespace,) = dependencies["istio-mesh:index:MeshService::hello"]
    assert namespace.endswith("kubernetes:core/v1:Namespace::hello-ns-hello")

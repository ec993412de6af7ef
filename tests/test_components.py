"""The components under Pulumi's mocks: children, parents, dependencies, outputs."""

import pulumi
import pytest

from istio_mesh import ArgsError, IstioControlPlane, MeshNamespace, MeshService
from mesh.analysis.ordering import ordered_after
from mesh.offline import PROJECT_DIR, MeshMocks, object_name
from tests.conftest import run_program, service_args


def build_mesh():
    cp = IstioControlPlane("istio", {"gateway": {"service_type": "ClusterIP"}})
    ns = MeshNamespace("shop", {}, pulumi.ResourceOptions(depends_on=cp.ready))
    svc = MeshService("review", service_args(), pulumi.ResourceOptions(depends_on=[*cp.ready, ns.resource]))
    return {
        "version": cp.version,
        "labels": cp.injection_labels,
        "istiod_status": cp.istiod_status,
        "gateway": cp.gateway,
        "host": svc.host,
        "port": svc.port,
        "versions": svc.versions,
        "namespace": ns.namespace_name,
    }


@pytest.fixture(scope="module")
def mesh():
    return run_program(build_mesh)


def test_components_register_under_their_type_tokens(mesh):
    types = {r.type for r in mesh.registrations if not r.custom}
    assert types == {
        "istio-mesh:index:IstioControlPlane",
        "istio-mesh:index:MeshNamespace",
        "istio-mesh:index:MeshService",
    }


def test_every_child_is_parented_to_its_component(mesh):
    components = {r.urn: r.name for r in mesh.registrations if not r.custom}
    for reg in mesh.custom():
        assert reg.parent in components, reg.name
    by_name = {r.name: components[r.parent] for r in mesh.custom() if r.kind == "Deployment"}
    assert by_name == {"review-v1": "review"}


def test_releases_have_explicit_names_and_are_ordered_base_istiod_gateway(mesh):
    releases = {object_name(r): r for r in mesh.find("Release")}
    assert set(releases) == {"istio-base", "istiod", "istio-ingress"}
    assert releases["istiod"].inputs["chart"] == "istiod" and releases["istiod"].inputs["atomic"] is True
    assert releases["istio-base"].urn in releases["istiod"].dependencies
    assert releases["istiod"].urn in releases["istio-ingress"].dependencies


def test_workloads_wait_for_istiod_and_custom_resources_for_base_and_istiod(mesh):
    releases = {object_name(r): r.urn for r in mesh.find("Release")}
    needed = {releases["istio-base"], releases["istiod"]}
    after = ordered_after(mesh)
    checked = 0
    for reg in mesh.custom():
        if reg.kind == "Deployment" or reg.type.split(":")[1].endswith("istio.io/v1"):
            assert needed <= after(reg.urn), reg.name
            checked += 1
    assert checked >= 6


def test_children_come_after_the_component_depends_on_through_their_parent_alone(mesh):
    releases = {object_name(r): r.urn for r in mesh.find("Release")}
    (namespace_component,) = [r for r in mesh.registrations if r.type == "istio-mesh:index:MeshNamespace"]
    (service_component,) = [r for r in mesh.registrations if r.type == "istio-mesh:index:MeshService"]
    assert releases["istiod"] in namespace_component.dependencies
    assert releases["istiod"] in service_component.dependencies
    service_children = [r for r in mesh.custom() if r.parent == service_component.urn]
    assert len(service_children) == 5 and all(r.dependencies == () for r in service_children)
    (ns,) = mesh.find("Namespace", "shop")
    assert ns.dependencies == () and releases["istiod"] in ordered_after(mesh)(ns.urn)


def test_the_namespace_is_labelled_for_injection(mesh):
    (ns,) = [r for r in mesh.find("Namespace") if object_name(r) == "shop"]
    assert ns.inputs["metadata"]["labels"] == {"istio-injection": "enabled"}
    (deny,) = mesh.find("AuthorizationPolicy", "allow-nothing")
    assert deny.inputs["spec"] == {"action": "ALLOW"}


def test_outputs_resolve_to_real_values(mesh):
    assert mesh.outputs == {
        "version": "1.30.5",
        "labels": {"istio-injection": "enabled"},
        "istiod_status": "deployed",
        "gateway": "istio-ingress/istio-ingress",
        "host": "review.shop.svc.cluster.local",
        "port": 9080,
        "versions": ["v1"],
        "namespace": "shop",
    }


@pytest.fixture
def mocks():
    pulumi.runtime.set_mocks(MeshMocks(), project="service-mesh", stack="test", preview=False)


@pulumi.runtime.test
def test_mesh_service_outputs_are_outputs(mocks):
    svc = MeshService("rating", service_args(service_name="ratings"))
    return pulumi.Output.all(svc.service_name, svc.host).apply(
        lambda v: assert_equal(v, ["ratings", "ratings.shop.svc.cluster.local"])
    )


def assert_equal(actual, expected):
    assert actual == expected


def test_bad_component_args_raise_and_register_nothing():
    def program():
        with pytest.raises(ArgsError, match=r"args.versions"):
            MeshService("review", service_args(versions=[]))
        with pytest.raises(ArgsError, match=r"args.gateway.service_type"):
            IstioControlPlane("istio", {"gateway": {"service_type": "External"}})

    assert run_program(program).registrations == []


def test_a_canary_control_plane_is_ready_only_when_base_and_every_revision_are():
    def program():
        cp = IstioControlPlane(
            "istio",
            {
                "version": "1.30.5",
                "revisions": [{"name": "old", "version": "1.30.4"}, {"name": "new"}],
                "tags": {"stable": "old"},
                "protect": True,
            },
        )
        MeshNamespace("shop", {"revision": "stable"}, pulumi.ResourceOptions(depends_on=cp.ready))
        return {"status": cp.istiod_status}

    run = run_program(program)
    releases = {object_name(r): r for r in run.find("Release")}
    assert set(releases) == {"istio-base", "istiod-old", "istiod-new"}
    assert all(r.protect and not r.retain_on_delete for r in releases.values())
    after = ordered_after(run)
    (namespace,) = run.find("Namespace", "shop")
    assert {r.urn for r in releases.values()} <= after(namespace.urn)
    assert releases["istiod-old"].urn in after(releases["istiod-new"].urn)
    assert not any(r.retain_on_delete for r in run.find("Namespace"))
    assert run.outputs["status"] == "deployed"


def test_services_wired_by_reference_are_ordered_after_istiod_and_allowed_exactly_their_declared_call():
    import runpy

    from mesh.analysis import check
    from mesh.analysis.authorization import allowed

    example = PROJECT_DIR / "components" / "examples" / "python" / "__main__.py"
    result = run_program(lambda: runpy.run_path(str(example)) and None)
    findings = [f for f in check(result, declared={("product", "review")}) if f.severity == "error"]
    assert findings == []
    assert allowed(result, ("shop", "product"), "review")
    assert not allowed(result, ("shop", "review"), "product")


def test_an_entry_service_without_a_gateway_is_refused_by_reference_too():
    from istio_mesh import ArgsError, IstioControlPlane

    def program():
        shop = IstioControlPlane("istio", {}).mesh_namespace("shop")
        shop.service("web", {"ports": [{"port": 80}], "versions": [{"name": "v1", "image": "a/b:1"}]}, entry=True)

    with pytest.raises(ArgsError, match="entry: needs a control plane with a gateway"):
        run_program(program)

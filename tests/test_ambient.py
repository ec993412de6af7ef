"""`data_plane: ambient`: the node agents installed in order, namespaces on ztunnel with no
injection label nor Sidecar, and a waypoint exactly where a service needs L7."""

import copy
import dataclasses
from typing import Any

import pytest
import yaml

from istio_mesh.control_plane_spec import control_plane_spec
from istio_mesh.namespace_spec import mesh_namespace_spec
from istio_mesh.service_spec import mesh_service_spec
from mesh.analysis import check
from mesh.analysis.authorization import authorization_findings
from mesh.analysis.gateway_api import gateway_api_findings, gateway_api_ordering_findings
from mesh.analysis.model import Inventory
from mesh.analysis.ordering import ordered_after
from mesh.config import ConfigError, load
from mesh.environment import plan_environment
from mesh.offline import PROJECT_DIR, run_stack
from tests.charts import needs_charts, one, render_release, unread_keys
from tests.conftest import service_args
from tests.test_golden import matches_golden_entry

AMBIENT = PROJECT_DIR / "examples" / "stacks" / "ambient.yaml"
L7 = {
    "routes": {"routes": [{"destinations": [{"version": "v1"}]}]},
    "retries": {"retries": {"attempts": 3}},
    "timeout": {"timeout": "5s"},
    "jwt": {"jwt": {"issuer": "https://auth.example.com", "jwks_uri": "https://auth.example.com/jwks.json"}},
    "L7 authorization": {"allowed_callers": [{"namespace": "shop", "service_account": "product", "methods": ["GET"]}]},
}


@pytest.fixture(scope="module")
def example():
    return run_stack("ambient", stack_file=AMBIENT)


def manifests(run, kind):
    return [r.inputs for r in run.find(kind)]


def test_the_ambient_example_checks_clean(example):
    findings = [f for f in check(example, declared=example.declared_calls) if f.code not in ("MESH0002", "MESH0601")]
    assert findings == []


def test_ambient_namespaces_carry_the_dataplane_label_and_no_injection_label(example):
    apps = [n for n in manifests(example, "Namespace") if n["metadata"]["name"] == "shop"]
    assert apps[0]["metadata"]["labels"] == {"istio.io/dataplane-mode": "ambient"}
    for ns in manifests(example, "Namespace"):
        assert not {"istio-injection", "istio.io/rev"} & set(ns["metadata"].get("labels") or {})


def test_no_sidecar_is_injected_configured_or_limited_in_ambient(example):
    assert manifests(example, "Sidecar") == []
    for deployment in manifests(example, "Deployment"):
        template = deployment["spec"]["template"]["metadata"]
        assert "sidecar.istio.io/inject" not in template["labels"]
        assert not [
            a for a in template.get("annotations") or {} if a.startswith(("sidecar.istio.io/", "proxy.istio.io/"))
        ]


def test_a_waypoint_serves_review_alone_which_asks_for_l7(example):
    waypoints = [g for g in manifests(example, "Gateway") if g["spec"]["gatewayClassName"] == "istio-waypoint"]
    assert [(w["metadata"]["namespace"], w["metadata"]["name"]) for w in waypoints] == [("shop", "review-waypoint")]
    services = {s["metadata"]["name"]: s["metadata"]["labels"] for s in manifests(example, "Service")}
    assert services["review"]["istio.io/use-waypoint"] == "review-waypoint"
    assert not [n for n, labels in services.items() if n != "review" and "istio.io/use-waypoint" in labels]
    # Mesh routes only where a waypoint reads them; the ingress route regardless.
    routes = {r["metadata"]["name"] for r in manifests(example, "HTTPRoute")}
    assert routes == {"review", "product-ingress"}


@pytest.mark.parametrize("reason", L7)
def test_a_service_gets_a_waypoint_exactly_when_it_asks_for_l7(reason):
    base = service_args(data_plane="ambient")
    plain = mesh_service_spec(
        "review", {**base, "allowed_callers": [{"namespace": "shop", "service_account": "product"}]}
    )
    assert not [m for m in plain.istio if m["kind"] == "Gateway"]
    (policy,) = [m for m in plain.istio if m["kind"] == "AuthorizationPolicy"]
    assert policy["spec"]["selector"] == {"matchLabels": {"app": "review"}}  # L4: on ztunnel
    spec = mesh_service_spec("review", {**base, **L7[reason]})
    (waypoint,) = [m for m in spec.istio if m["kind"] == "Gateway"]
    assert waypoint["spec"]["listeners"] == [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]
    for m in spec.istio:
        if m["kind"] in ("AuthorizationPolicy", "RequestAuthentication") and not m["metadata"]["name"].endswith(
            "-from-waypoint"
        ):
            assert m["spec"]["targetRefs"] == [{"kind": "Service", "group": "", "name": "review"}]
            assert "selector" not in m["spec"]


def test_with_the_istio_api_a_service_without_waypoint_keeps_only_its_gateway_binding():
    args = service_args(
        data_plane="ambient", expose={"gateway": "istio-ingress/istio-ingress", "hosts": ["shop.example.com"]}
    )
    (vs,) = [m for m in mesh_service_spec("review", args).istio if m["kind"] == "VirtualService"]
    assert vs["spec"]["gateways"] == ["istio-ingress/istio-ingress"]
    with_routes = mesh_service_spec("review", {**args, "routes": [{"destinations": [{"version": "v1"}]}]})
    (vs,) = [m for m in with_routes.istio if m["kind"] == "VirtualService"]
    assert vs["spec"]["gateways"] == ["mesh", "istio-ingress/istio-ingress"]


def test_policies_admit_exactly_the_declared_calls_through_the_waypoint(example):
    assert authorization_findings(example, example.declared_calls) == []
    kept = [r for r in example.resources if r.inputs.get("metadata", {}).get("name") != "review-from-waypoint"]
    findings = authorization_findings(Inventory(kept), example.declared_calls)
    assert [(f.code, f.object) for f in findings] == [("MESH0201", "AuthorizationPolicy/shop/review")]
    assert "waypoint" in findings[0].message


def test_a_sidecar_in_an_ambient_namespace_is_found(example):
    sidecar = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Sidecar",
        "metadata": {"name": "review", "namespace": "shop"},
        "spec": {"egress": [{"hosts": ["./*"]}]},
    }
    extra = Inventory.of_manifests([sidecar]).resources
    assert [f.code for f in gateway_api_findings(Inventory([*example.resources, *extra]))] == ["IST0167"]


def test_ambient_installs_base_istiod_cni_ztunnel_then_gateways_then_workloads(example):
    spec = control_plane_spec({"data_plane": "ambient", "gateway": {}})
    assert [(r.key, r.after) for r in spec.releases] == [
        ("base", ()),
        ("istiod", ("base",)),
        ("cni", ("istiod",)),
        ("ztunnel", ("cni",)),
        ("gateway", ("ztunnel",)),
    ]
    assert gateway_api_ordering_findings(example) == []
    releases = {r.inputs["name"]: r.urn for r in example.find("Release")}
    after = ordered_after(example)
    for deployment in example.find("Deployment"):
        assert set(releases.values()) <= after(deployment.urn)
    ztunnel = next(r for r in example.find("Release") if r.inputs["name"] == "ztunnel")
    cut = dataclasses.replace(ztunnel, dependencies=tuple(d for d in ztunnel.dependencies if "cni" not in d))
    broken = Inventory([cut if r.urn == ztunnel.urn else r for r in example.resources])
    found = [f for f in gateway_api_ordering_findings(broken) if f.code == "MESH0604"]
    matches_golden_entry("findings-cases", "MESH0604 ztunnel_not_after_the_cni", [f.as_dict() for f in found])
    assert found


def stack() -> dict[str, Any]:
    raw = yaml.safe_load(AMBIENT.read_text())["config"]
    return {k.split(":", 1)[1]: copy.deepcopy(v) for k, v in raw.items()}


def test_what_ambient_cannot_honour_is_refused_at_its_key_path_all_at_once():
    values = stack()
    values["istio"]["revisions"] = [{"name": "1-30-5"}]
    values["istio"]["tags"] = {"stable": "1-30-5"}
    values["namespace_revisions"] = {"shop": "stable"}
    with pytest.raises(ConfigError) as err:
        load(values)
    paths = {p.path for p in err.value.problems}
    assert {
        "service-mesh:istio.revisions",
        "service-mesh:istio.tags",
        "service-mesh:namespace_revisions",
    } <= paths
    values = stack()
    values["services"][0]["proxy"] = {"log_level": "debug"}
    with pytest.raises(ConfigError) as err:
        plan_environment(load(values))
    assert [p.path for p in err.value.problems] == ["service-mesh:services[0].proxy"]


def test_limit_egress_creates_no_sidecar_in_ambient_and_the_log_says_so():
    values = {**stack(), "limit_egress": True}
    cfg = load(values)
    assert not cfg.limit_egress
    assert any("limit_egress has no effect" in note for note in cfg.notes)
    assert all("egress_hosts" not in args for args in plan_environment(cfg).service_args.values())


def test_a_namespace_component_refuses_a_revision_and_mesh_labels_in_ambient():
    assert mesh_namespace_spec("shop", {"data_plane": "ambient"}).namespace["metadata"]["labels"] == {
        "istio.io/dataplane-mode": "ambient"
    }
    with pytest.raises(ValueError, match="revision"):
        mesh_namespace_spec("shop", {"data_plane": "ambient", "revision": "stable"})
    with pytest.raises(ValueError, match="mesh labels"):
        mesh_namespace_spec("shop", {"labels": {"istio.io/dataplane-mode": "ambient"}})


def test_chart_values_of_the_node_agents_are_refused_without_ambient():
    with pytest.raises(ValueError, match="cni_values"):
        control_plane_spec({"cni_values": {"cni": {}}})


def ambient_releases() -> dict[str, Any]:
    raw = yaml.safe_load(AMBIENT.read_text())["config"]["service-mesh:istio"]
    return {r.key: r for r in control_plane_spec(raw).releases}


@needs_charts
@pytest.mark.parametrize("key", ["istiod", "cni", "ztunnel"])
def test_every_values_key_of_the_ambient_releases_is_one_the_chart_reads(key):
    release = ambient_releases()[key]
    values = dict(release.values)
    if release.chart == "istiod":
        values = {**{k: v for k, v in values.items() if k != "pilot"}, **values.get("pilot", {})}
    # `profile` is read as `($.Values).profile` by each chart's zzz_profile.yaml, which the key scan cannot see.
    values.pop("profile")
    assert unread_keys(release.chart, values) == []


@needs_charts
def test_the_ambient_charts_render_with_the_stacks_values():
    releases = ambient_releases()
    cni = render_release(releases["cni"])
    assert one(cni, "ConfigMap")["data"]["AMBIENT_ENABLED"] == "true"
    assert one(cni, "DaemonSet")["metadata"]["namespace"] == "istio-system"
    ztunnel = one(render_release(releases["ztunnel"]), "DaemonSet")
    assert ztunnel["metadata"]["name"] == "ztunnel"
    env = {e["name"]: e.get("value") for e in ztunnel["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CA_ADDRESS"] == "istiod.istio-system.svc:15012"
    istiod = one(render_release(releases["istiod"]), "Deployment")
    (container,) = [c for c in istiod["spec"]["template"]["spec"]["containers"] if c["name"] == "discovery"]
    assert {"name": "PILOT_ENABLE_AMBIENT", "value": "true"} in container["env"]
    sidecar = one(render_release(control_plane_spec({}).releases[1]), "Deployment")
    (container,) = [c for c in sidecar["spec"]["template"]["spec"]["containers"] if c["name"] == "discovery"]
    assert "PILOT_ENABLE_AMBIENT" not in {e["name"] for e in container["env"]}


AMBIENT_ISTIO = PROJECT_DIR / "examples" / "stacks" / "ambient-istio.yaml"


@pytest.fixture(scope="module")
def istio_example():
    return run_stack("ambient-istio", stack_file=AMBIENT_ISTIO)


def test_the_ambient_example_with_the_istio_api_checks_clean(istio_example):
    findings = [
        f for f in check(istio_example, declared=istio_example.declared_calls) if f.code not in ("MESH0002", "MESH0601")
    ]
    assert findings == []
    assert authorization_findings(istio_example, istio_example.declared_calls) == []


def test_with_the_istio_api_reviews_waypoint_reads_its_mesh_virtual_service_and_l4_services_get_none(istio_example):
    assert manifests(istio_example, "HTTPRoute") == []
    services = {s["metadata"]["name"]: s["metadata"]["labels"] for s in manifests(istio_example, "Service")}
    assert services["review"]["istio.io/use-waypoint"] == "review-waypoint"
    bound = {
        vs["metadata"]["name"]: (vs["spec"]["hosts"], vs["spec"].get("gateways", ["mesh"]))
        for vs in manifests(istio_example, "VirtualService")
    }
    assert bound == {
        "review": (["review.shop.svc.cluster.local"], ["mesh"]),
        "product": (["product.shop.svc.cluster.local", "shop.example.com"], ["istio-ingress/istio-ingress"]),
    }
    (review,) = [vs for vs in manifests(istio_example, "VirtualService") if vs["metadata"]["name"] == "review"]
    assert [r["route"][0]["destination"]["subset"] for r in review["spec"]["http"]] == ["v2", "v1"]
    subsets = {
        dr["metadata"]["name"]: [s["name"] for s in dr["spec"]["subsets"]]
        for dr in manifests(istio_example, "DestinationRule")
    }
    assert subsets["review"] == ["v1", "v2"]


def test_with_the_istio_api_a_route_the_subsets_do_not_back_is_found(istio_example):
    vs = next(r for r in istio_example.find("VirtualService") if r.inputs["metadata"]["name"] == "review")
    broken = copy.deepcopy(vs.inputs)
    broken["spec"]["http"][0]["route"][0]["destination"]["subset"] = "v9"
    others = [r for r in istio_example.resources if r.urn != vs.urn]
    findings = check(Inventory([*others, dataclasses.replace(vs, inputs=broken)]))
    assert "IST0101" in {f.code for f in findings}

"""`traffic_api: gateway-api`: one route model, two compilations that route alike, and
what HTTPRoute cannot say refused at its key path."""

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from istio_mesh import defaults
from istio_mesh.control_plane_spec import control_plane_spec
from istio_mesh.service_spec import mesh_service_spec
from mesh.analysis import check
from mesh.analysis.gateway_api import gateway_api_findings, gateway_api_ordering_findings
from mesh.analysis.model import Inventory
from mesh.analysis.schemas import DEFAULT_GATEWAY_API_CRDS
from mesh.config import ConfigError, load
from mesh.environment import plan_environment
from mesh.offline import PROJECT_DIR, run_stack
from tests.conftest import service_args
from tests.route_outcomes import (
    REQUESTS,
    RETRY_SETS,
    ROUTE_SETS,
    VERSIONS,
    compile_both,
    http_route_outcome,
    mesh_default_retries,
    vs_outcome,
)
from tests.test_golden import matches_golden_entry

EXAMPLES = PROJECT_DIR / "examples" / "stacks"
needs_gateway_crds = pytest.mark.skipif(
    not DEFAULT_GATEWAY_API_CRDS.exists(), reason=f"Gateway API CRDs not found at {DEFAULT_GATEWAY_API_CRDS}"
)
MESH_DEFAULT = mesh_default_retries()


@pytest.mark.parametrize("channel", ["standard", "experimental"])
@pytest.mark.parametrize("case", ROUTE_SETS)
def test_every_request_is_routed_alike_by_the_virtual_service_and_the_http_route(case, channel):
    vs, route, _ = compile_both(ROUTE_SETS[case], channel, timeout="7s")
    for request in REQUESTS:
        assert http_route_outcome(route, request, MESH_DEFAULT) == vs_outcome(vs, request), request


@pytest.mark.parametrize("case", RETRY_SETS)
def test_every_request_is_retried_alike_by_the_virtual_service_and_the_experimental_http_route(case):
    routes, extra = RETRY_SETS[case]
    vs, route, _ = compile_both(copy.deepcopy(routes), "experimental", timeout="7s", **copy.deepcopy(extra))
    assert any("retry" in rule for rule in route["spec"]["rules"])
    for request in REQUESTS:
        assert http_route_outcome(route, request, MESH_DEFAULT) == vs_outcome(vs, request), request


def test_the_retry_comparison_can_tell_two_retry_policies_apart():
    routes, _ = RETRY_SETS["a route's retries with status codes beside one on the mesh's policy"]
    vs, route, _ = compile_both(copy.deepcopy(routes), "experimental", timeout="7s")
    jason = {"path": "/", "headers": {"end-user": "jason"}}
    assert http_route_outcome(route, jason, MESH_DEFAULT) == vs_outcome(vs, jason)
    for change in ({"attempts": 2}, {"codes": [503]}):
        other = copy.deepcopy(route)
        other["spec"]["rules"][0]["retry"].update(change)
        assert http_route_outcome(other, jason, MESH_DEFAULT) != vs_outcome(vs, jason), change
    other = copy.deepcopy(route)
    del other["spec"]["rules"][0]["timeouts"]["backendRequest"]
    assert http_route_outcome(other, jason, MESH_DEFAULT) != vs_outcome(vs, jason)


def test_the_outcome_comparison_can_tell_two_routings_apart():
    vs, _, _ = compile_both(ROUTE_SETS["header A/B"])
    _, other, _ = compile_both(ROUTE_SETS["weighted canary"])
    assert any(http_route_outcome(other, r, MESH_DEFAULT) != vs_outcome(vs, r) for r in REQUESTS)


def test_versions_become_services_selecting_their_pods_and_routes_name_them_with_the_port():
    _, route, services = compile_both(ROUTE_SETS["weighted canary"])
    assert services["review-v2"]["spec"]["selector"] == {"app": "review", "version": "v2"}
    assert services["review-v2"]["spec"]["ports"] == services["review"]["spec"]["ports"]
    assert route["spec"]["parentRefs"] == [{"group": "", "kind": "Service", "name": "review", "port": 9080}]
    assert route["spec"]["rules"][0]["backendRefs"] == [
        {"name": "review-v1", "port": 9080, "weight": 90},
        {"name": "review-v2", "port": 9080, "weight": 10},
    ]


def test_retries_are_the_mesh_default_policy_and_equal_the_virtual_services_own():
    vs, _, _ = compile_both(ROUTE_SETS["weighted canary"])
    mesh = next(r for r in control_plane_spec({"traffic_api": "gateway-api"}).releases if r.key == "istiod")
    assert mesh.values["meshConfig"]["defaultHttpRetryPolicy"] == vs["spec"]["http"][0]["retries"]
    custom = {"attempts": 4, "per_try_timeout": "1s", "retry_on": "5xx"}
    istio = mesh_service_spec("review", service_args(versions=VERSIONS, retries=custom))
    (vs,) = [m for m in istio.istio if m["kind"] == "VirtualService"]
    spec = control_plane_spec({"traffic_api": "gateway-api", "default_retries": custom})
    istiod = next(r for r in spec.releases if r.key == "istiod")
    assert istiod.values["meshConfig"]["defaultHttpRetryPolicy"] == vs["spec"]["http"][0]["retries"]
    assert (
        "defaultHttpRetryPolicy"
        not in next(r for r in control_plane_spec({}).releases if r.key == "istiod").values["meshConfig"]
    )


def test_traffic_policies_stay_in_destination_rules_on_each_versions_host():
    args = service_args(
        versions=[{**VERSIONS[0], "traffic_policy": {"load_balancer": "RANDOM"}}, VERSIONS[1]],
        traffic_policy={"outlier_detection": {"consecutive_5xx_errors": 3}},
        traffic_api="gateway-api",
    )
    rules = {
        m["metadata"]["name"]: m["spec"]
        for m in mesh_service_spec("review", args).istio
        if m["kind"] == "DestinationRule"
    }
    assert rules["review-v1"]["host"] == "review-v1.shop.svc.cluster.local"
    assert rules["review-v1"]["trafficPolicy"]["loadBalancer"] == {"simple": "RANDOM"}
    assert rules["review-v1"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 3
    assert "loadBalancer" not in rules["review-v2"]["trafficPolicy"]
    assert not [m for m in mesh_service_spec("review", args).istio if m["kind"] == "VirtualService"]


def test_a_grpc_port_gets_a_grpc_route_without_timeouts():
    args = service_args(ports=[{"port": 9090, "protocol": "grpc"}], traffic_api="gateway-api", versions=VERSIONS[:2])
    args["routes"] = [{"match": [{"headers": {"x-beta": {"exact": "1"}}}], "destinations": [{"version": "v2"}]}, {}]
    (route,) = [m for m in mesh_service_spec("review", args).istio if m["kind"] == "GRPCRoute"]
    assert route["spec"]["rules"][0]["matches"] == [{"headers": [{"type": "Exact", "name": "x-beta", "value": "1"}]}]
    assert all("timeouts" not in rule for rule in route["spec"]["rules"])


def stack(**istio: Any) -> dict[str, Any]:
    raw = yaml.safe_load((EXAMPLES / "gateway-api.yaml").read_text())["config"]
    values = {k.split(":", 1)[1]: copy.deepcopy(v) for k, v in raw.items()}
    values["istio"] = {**values["istio"], **istio}
    return values


def problems(values: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as err:
        plan_environment(load(values))
    return {p.path: p.message for p in err.value.problems}


def test_what_http_route_cannot_say_is_refused_at_its_key_path_all_at_once():
    values = stack()
    review = values["services"][1]
    # After the testers' header route, a path route that Gateway API would rank first.
    review["routes"].insert(1, {"match": [{"uri_prefix": "/api"}], "destinations": [{"version": "v1"}]})
    review["routes"][2]["fault"] = {"abort_status": 503, "abort_percent": 5}
    review["routes"][0]["retries"] = {"attempts": 3}
    review["retries"] = {"attempts": 1}
    found = problems(values)
    assert "cannot inject faults" in found["service-mesh:services[1].routes[2].fault"]
    assert "no retry field" in found["service-mesh:services[1].routes[0].retries"]
    assert "no retry field" in found["service-mesh:services[1].retries"]
    assert "would be tried before routes[0]" in found["service-mesh:services[1].routes[1].match[0]"]
    assert len(found) == 4


def test_routes_in_gateway_api_precedence_order_or_disjoint_are_accepted():
    values = stack()
    values["services"][1]["routes"][:1] = [
        {"match": [{"uri_prefix": "/api/v2"}], "destinations": [{"version": "v2"}]},
        {"match": [{"uri_prefix": "/api"}], "destinations": [{"version": "v1"}]},
        {"match": [{"headers": {"x-canary": {"exact": "always"}}}], "destinations": [{"version": "v2"}]},
    ]
    plan_environment(load(values))
    # Disjoint: the longer prefix, ranked first, takes nothing from the route before it.
    values["services"][1]["routes"][:2] = [
        {"match": [{"uri_prefix": "/s"}], "destinations": [{"version": "v1"}]},
        {"match": [{"uri_prefix": "/api/v2"}], "destinations": [{"version": "v2"}]},
    ]
    plan_environment(load(values))
    # The same exact header on both: not disjoint, so the more specific later route is refused.
    values["services"][1]["routes"][:2] = [
        {"match": [{"headers": {"x-team": {"exact": "a"}}}], "destinations": [{"version": "v1"}]},
        {"match": [{"uri_prefix": "/api", "headers": {"x-team": {"exact": "a"}}}], "destinations": [{"version": "v2"}]},
    ]
    assert "would be tried before routes[0]" in problems(values)["service-mesh:services[1].routes[1].match[0]"]
    # Disjoint by an exact header both name, with different values.
    values["services"][1]["routes"][:2] = [
        {"match": [{"headers": {"x-team": {"exact": "a"}}}], "destinations": [{"version": "v1"}]},
        {"match": [{"uri_prefix": "/api", "headers": {"x-team": {"exact": "b"}}}], "destinations": [{"version": "v2"}]},
    ]
    plan_environment(load(values))


def test_the_same_features_are_accepted_with_the_istio_api():
    values = stack(traffic_api="istio")
    del values["istio"]["default_retries"]
    review = values["services"][1]
    review["routes"][1]["fault"] = {"abort_status": 503, "abort_percent": 5}
    review["routes"][0]["retries"] = {"attempts": 3}
    plan_environment(load(values))


def test_grpc_timeouts_and_path_matches_are_refused_with_gateway_api():
    values = stack()
    rating = values["services"][2]
    rating["ports"] = [{"port": 9090, "protocol": "grpc"}]
    rating["timeout"] = "3s"
    rating["routes"] = [{"match": [{"uri_prefix": "/rating.Rating/"}], "timeout": "1s"}, {}]
    found = problems(values)
    assert set(found) >= {
        "service-mesh:services[2].timeout",
        "service-mesh:services[2].routes[0].timeout",
        "service-mesh:services[2].routes[0].match[0].uri_prefix",
    }


@pytest.mark.parametrize(
    ("istio", "path", "words"),
    [
        ({"traffic_api": "istio"}, "service-mesh:istio.default_retries", "only with `traffic_api: gateway-api`"),
        ({"gateway_api": {"version": "v1.4.0"}}, "service-mesh:istio.gateway_api.version", "built against"),
        ({"gateway_api": {"version": "1.5"}}, "service-mesh:istio.gateway_api.version", "not a Gateway API release"),
        ({"gateway_api": {"crds_file": "crds.yaml"}}, "service-mesh:istio.gateway_api.crds_file", "install_crds"),
    ],
)
def test_control_plane_settings_of_the_gateway_api_are_checked_at_their_key(istio, path, words):
    found = problems(stack(**istio))
    assert words in found[path]


def test_the_stack_installs_the_pinned_crds_before_istiod_from_github_or_a_file_of_its_own():
    spec = control_plane_spec({"traffic_api": "gateway-api", "gateway_api": {"install_crds": True}})
    (crds,) = spec.crd_files
    assert crds.file == defaults.GATEWAY_API_CRDS_URL.format(version="v1.5.1", channel="standard")
    assert crds.file.endswith("/v1.5.1/standard-install.yaml")
    own = control_plane_spec({"gateway_api": {"install_crds": True, "crds_file": "vendor/gateway-api.yaml"}})
    assert own.crd_files[0].file == "vendor/gateway-api.yaml"
    assert control_plane_spec({"traffic_api": "gateway-api"}).crd_files == ()


def test_ingress_is_a_gateway_api_gateway_on_the_charts_service_with_an_https_redirect():
    spec = control_plane_spec(
        {"traffic_api": "gateway-api", "gateway": {"hosts": ["shop.example.com"], "tls_credential_name": "shop-tls"}}
    )
    (gateway,) = [m for m in spec.resources if m["kind"] == "Gateway"]
    assert gateway["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert gateway["spec"]["addresses"] == [
        {"type": "Hostname", "value": "istio-ingress.istio-ingress.svc.cluster.local"}
    ]
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert listeners["https-0"]["tls"]["certificateRefs"][0]["name"] == "shop-tls"
    assert listeners["http-0"]["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    (redirect,) = [m for m in spec.resources if m["kind"] == "HTTPRoute"]
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"


@pytest.fixture(scope="module")
def example():
    return run_stack("gateway-api", stack_file=EXAMPLES / "gateway-api.yaml")


@needs_gateway_crds
def test_the_gateway_api_example_checks_clean_with_every_route_on_the_gateway_api(example):
    findings = [f for f in check(example, declared=example.declared_calls) if f.code != "MESH0002"]
    assert findings == []
    assert not example.find("VirtualService")
    assert {r.inputs["metadata"]["name"] for r in example.find("HTTPRoute")} == {
        "product",
        "product-ingress",
        "review",
        "rating",
    }


@needs_gateway_crds
def test_the_gateway_api_crd_schemas_and_their_cel_rules_apply_in_check(example):
    route = next(r for r in example.find("HTTPRoute") if r.inputs["metadata"]["name"] == "review")
    cel = copy.deepcopy(route.inputs)
    cel["spec"]["rules"][1]["timeouts"]["backendRequest"] = "1m"  # longer than the request: a CEL rule
    typed = copy.deepcopy(route.inputs)
    typed["spec"]["rules"][0]["backendRefs"][0]["port"] = "9080"
    inventory = Inventory(
        [
            *example.resources,
            dataclasses.replace(route, urn=route.urn + "-cel", inputs=cel),
            dataclasses.replace(route, urn=route.urn + "-typed", inputs=typed),
        ]
    )
    errors = {f.path: f.message for f in check(inventory) if f.code == "MESH0001"}
    assert "cannot be longer than request timeout" in errors["spec.rules.1.timeouts"]
    assert "spec.rules.0.backendRefs.0.port" in errors


def test_routes_that_name_no_service_or_port_are_found(example):
    route = next(r for r in example.find("HTTPRoute") if r.inputs["metadata"]["name"] == "review")
    broken = copy.deepcopy(route.inputs)
    broken["spec"]["rules"][1]["backendRefs"][1]["name"] = "review-v9"
    broken["spec"]["rules"][0]["backendRefs"][0]["port"] = 1234
    others = [r for r in example.resources if r.urn != route.urn]
    findings = gateway_api_findings(Inventory([*others, dataclasses.replace(route, inputs=broken)]))
    matches_golden_entry(
        "findings-cases", "MESH0602 routes_that_name_no_service_or_port", [f.as_dict() for f in findings]
    )
    assert {(f.code, f.path) for f in findings} == {
        ("MESH0602", "spec.rules[1].backendRefs[1]"),
        ("MESH0602", "spec.rules[0].backendRefs[0].port"),
    }
    assert gateway_api_findings(example) == []


def test_istiod_and_every_route_wait_for_the_gateway_api_crds(example):
    assert gateway_api_ordering_findings(example) == []
    istiod = next(r for r in example.find("Release") if r.inputs["name"] == "istiod")
    cut = dataclasses.replace(istiod, dependencies=tuple(d for d in istiod.dependencies if "gateway-api-crds" not in d))
    inventory = Inventory([cut if r.urn == istiod.urn else r for r in example.resources])
    found = gateway_api_ordering_findings(inventory)
    matches_golden_entry(
        "findings-cases", "MESH0603 istiod_not_after_the_gateway_api_crds", [f.as_dict() for f in found]
    )
    assert [f.code for f in found] == ["MESH0603"]
    config_file = next(r for r in example.resources if r.type == "kubernetes:yaml/v2:ConfigFile")
    assert config_file.inputs["file"].endswith("/v1.5.1/standard-install.yaml")


def test_an_ingress_gateway_that_no_route_binds_is_found(example):
    kept = [
        r
        for r in example.resources
        if not (r.kind == "HTTPRoute" and r.inputs["metadata"]["name"].endswith("-ingress"))
    ]
    found = gateway_api_findings(Inventory(kept))
    matches_golden_entry(
        "findings-cases", "MESH0605 an_ingress_gateway_that_no_route_binds", [f.as_dict() for f in found]
    )
    assert [f.code for f in found] == ["MESH0605"]


def test_render_shows_the_crd_manifest_beside_the_objects(tmp_path: Path, example):
    from mesh import render

    render.write(example, tmp_path)
    assert (tmp_path / "istio" / "configfile-istio-gateway-api-crds.yaml").exists()


def test_a_listener_certificate_the_stack_does_not_create_is_reported():
    spec = control_plane_spec({"traffic_api": "gateway-api", "gateway": {"tls_credential_name": "shop-tls"}})
    findings = gateway_api_findings(Inventory.of_manifests(spec.resources))
    assert [(f.code, f.path) for f in findings] == [("MESH0503", "spec.listeners[1].tls.certificateRefs[0]")]
    # A reference without a namespace is to the Gateway's own: the Secret there serves it.
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "shop-tls", "namespace": "istio-ingress"}}
    assert gateway_api_findings(Inventory.of_manifests([*spec.resources, secret])) == []
    elsewhere = {**secret, "metadata": {"name": "shop-tls", "namespace": "shop"}}
    assert len(gateway_api_findings(Inventory.of_manifests([*spec.resources, elsewhere]))) == 1


@needs_gateway_crds
def test_grpc_routes_tls_gateways_and_waypoints_pass_their_crd_schemas():
    grpc = service_args(
        ports=[{"port": 9090, "protocol": "grpc"}],
        traffic_api="gateway-api",
        versions=VERSIONS[:2],
        routes=[
            {"match": [{"headers": {"x-beta": {"prefix": "yes"}}}], "destinations": [{"version": "v2"}]},
            {"destinations": [{"version": "v1"}], "mirror": {"version": "v2", "percent": 2.5}},
        ],
        expose={"gateway": "istio-ingress/istio-ingress"},
        data_plane="ambient",
    )
    objects = [*mesh_service_spec("review", grpc).istio]
    assert {m["kind"] for m in objects} >= {"GRPCRoute", "Gateway"}
    tls = {
        "traffic_api": "gateway-api",
        "gateway": {"hosts": ["a.example.com", "b.example.com"], "tls_credential_name": "t"},
    }
    objects += control_plane_spec(tls).resources
    findings = [f for f in check(Inventory.of_manifests(objects)) if f.code == "MESH0001"]
    assert findings == []


@pytest.mark.parametrize("values", [{}, {"name": "public-gateway"}])
def test_the_gateway_api_gateway_names_the_service_the_gateway_chart_renders(values):
    from tests.charts import CHARTS, one, render_release

    if not (CHARTS / "gateway" / "Chart.yaml").exists():
        pytest.skip(f"Istio charts not found at {CHARTS}")
    spec = control_plane_spec({"traffic_api": "gateway-api", "gateway": {"values": values}})
    release = next(r for r in spec.releases if r.key == "gateway")
    service = one(render_release(release), "Service")
    (gateway,) = [m for m in spec.resources if m["kind"] == "Gateway"]
    name, namespace = service["metadata"]["name"], service["metadata"].get("namespace", release.namespace)
    assert gateway["spec"]["addresses"] == [{"type": "Hostname", "value": f"{name}.{namespace}.svc.cluster.local"}]
    assert {listener["port"] for listener in gateway["spec"]["listeners"]} <= {
        p["port"] for p in service["spec"]["ports"]
    }

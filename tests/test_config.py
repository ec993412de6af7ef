"""The stack config: every problem at once, each at its `service-mesh:` key path."""

import copy
import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mesh.config import ConfigError, load
from mesh.offline import PROJECT_DIR


def dev_values():
    raw = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in raw.items()}


def problems_of(values):
    with pytest.raises(ConfigError) as err:
        load(values)
    return {p.path: p.message for p in err.value.problems}


def test_the_dev_stack_loads_with_its_graph():
    cfg = load(dev_values())
    assert [s.name for s in cfg.services] == ["product", "review", "rating"]
    assert [c.service for c in cfg.service("product").calls] == ["review"]
    assert cfg.service("product").entry and cfg.namespace == "shop-dev"


def test_values_arrive_as_json_text_as_the_cli_passes_them():
    values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in dev_values().items()}
    assert load(values) == load(dev_values())


def test_a_weight_error_names_the_full_key_path():
    values = dev_values()
    values["services"][1]["versions"].append({"name": "v2", "image": "x/y:2"})
    values["services"][1]["routes"] = [
        {"destinations": [{"version": "v1", "weight": 80}, {"version": "v2", "weight": 10}]}
    ]
    found = problems_of(values)
    assert "service-mesh:services[1].routes[0].destinations[1].weight" in found
    assert "allowed: a total of 100" in found["service-mesh:services[1].routes[0].destinations[1].weight"]


def test_unknown_keys_at_every_level_get_a_suggestion():
    values = dev_values()
    values["servics"] = values.pop("services")
    found = problems_of(values)
    assert "did you mean 'services'" in found["service-mesh:servics"]
    assert found["service-mesh:services"] == "required"
    values = dev_values()
    values["services"][0]["replica"] = 2
    assert "did you mean 'replicas'" in problems_of(values)["service-mesh:services[0].replica"]


def test_calls_must_name_services_of_the_stack():
    values = dev_values()
    values["services"][0]["calls"] = [{"service": "reviews"}]
    assert "did you mean 'review'" in problems_of(values)["service-mesh:services[0].calls[0].service"]


def test_routes_may_only_name_versions_of_their_service():
    values = dev_values()
    values["services"][1]["routes"] = [{"destinations": [{"version": "v3"}]}]
    assert "allowed: v1" in problems_of(values)["service-mesh:services[1].routes[0].destinations[0].version"]


def test_an_entry_service_needs_a_gateway():
    values = dev_values()
    del values["istio"]["gateway"]
    assert "service-mesh:services[0].entry" in problems_of(values)


def test_problems_in_several_services_are_reported_together():
    values = dev_values()
    values["services"][0]["ports"][0]["port"] = 0
    values["services"][2]["name"] = "Rating"
    values["namespace"] = "shop_dev"
    assert {"service-mesh:services[0].ports[0].port", "service-mesh:services[2].name", "service-mesh:namespace"} <= set(
        problems_of(values)
    )


def test_invalid_json_is_reported_not_raised():
    assert "expected a list as JSON text, which this is not" in problems_of({"services": "[{"})["service-mesh:services"]


# -- property: every broken config is rejected with a key path -------------------

BREAKERS = [
    ("services", lambda v, i: v["services"][i].__setitem__("name", "Bad_Name")),
    ("services", lambda v, i: v["services"][i]["ports"][0].__setitem__("port", 65536 + i)),
    ("services", lambda v, i: v["services"][i]["ports"][0].__setitem__("protocol", "quic")),
    ("services", lambda v, i: v["services"][i]["versions"][0].__setitem__("name", "V1")),
    ("services", lambda v, i: v["services"][i].__setitem__("replicas", "three")),
    ("services", lambda v, i: v["services"][i].__setitem__("timeot", "1s")),
    ("services", lambda v, i: v["services"][i].__setitem__("routes", [{"destinations": [{"version": "v9"}]}])),
    ("services", lambda v, i: v["services"][i].__setitem__("calls", [{"service": "nowhere"}])),
    ("services", lambda v, i: v["services"][i].__setitem__("timeout", "soon")),
    ("istio", lambda v, i: v["istio"].__setitem__("tracing_sampling_percent", 101 + i)),
    ("istio", lambda v, i: v["istio"].__setitem__("outbound_traffic_policy", "DENY")),
    ("namespace", lambda v, i: v.__setitem__("namespace", "-bad")),
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(BREAKERS) - 1), st.integers(0, 2)), min_size=1, max_size=4))
def test_any_broken_config_is_rejected_with_key_paths_and_nothing_else(breaks):
    values = copy.deepcopy(dev_values())
    for which, service in breaks:
        BREAKERS[which][1](values, service)
    with pytest.raises(ConfigError) as err:
        load(values)
    assert err.value.problems
    touched = {BREAKERS[which][0] for which, _ in breaks}
    for problem in err.value.problems:
        assert problem.path.startswith("service-mesh:")
        assert problem.path.split(":", 1)[1].split(".")[0].split("[")[0] in touched
    assert "Traceback" not in str(err.value)


def test_egress_may_only_name_declared_external_hosts():
    values = dev_values()
    values["external_hosts"] = [{"host": "api.currency.example.com"}]
    values["services"][0]["egress"] = ["api.curency.example.com"]
    assert "did you mean 'api.currency.example.com'" in problems_of(values)["service-mesh:services[0].egress[0]"]
    values["services"][0]["egress"] = ["api.currency.example.com"]
    assert load(values).service("product").egress == ("api.currency.example.com",)

"""The dependency graph derives env, authorization and egress."""

from mesh.config import load
from mesh.environment import plan_environment
from tests.test_config import dev_values


def plan(**changes):
    values = dev_values()
    values.update(changes)
    return plan_environment(load(values))


def test_callers_learn_where_their_callees_are():
    env = plan().service_args["product"]["env"]
    assert env == {"REVIEW_HOST": "review.shop-dev.svc.cluster.local", "REVIEW_PORT": "9080"}
    assert "RATING_HOST" in plan().service_args["review"]["env"]


def test_explicit_env_wins_over_derived_env():
    values = dev_values()
    values["services"][0]["env"] = {"REVIEW_PORT": "1234", "LOG": "debug"}
    env = plan_environment(load(values)).service_args["product"]["env"]
    assert env["REVIEW_PORT"] == "1234" and env["LOG"] == "debug" and env["REVIEW_HOST"]


def test_each_service_admits_exactly_its_declared_callers_and_the_entry_the_gateway():
    services = plan().service_args
    assert services["review"]["allowed_callers"] == [
        {"namespace": "shop-dev", "service_account": "product", "methods": ["GET"]}
    ]
    assert services["rating"]["allowed_callers"] == [
        {"namespace": "shop-dev", "service_account": "review", "methods": ["GET"]}
    ]
    assert services["product"]["allowed_callers"] == [
        {"namespace": "istio-ingress", "service_account": "istio-ingress"}
    ]
    assert services["product"]["expose"] == {"gateway": "istio-ingress/istio-ingress", "hosts": ["*"]}


def test_each_proxy_reaches_only_what_its_service_calls():
    services = plan().service_args
    collector = "*/otel-collector.observability.svc.cluster.local"
    assert services["product"]["egress_hosts"] == [collector, "shop-dev/review.shop-dev.svc.cluster.local"]
    assert services["rating"]["egress_hosts"] == [collector]
    assert "egress_hosts" not in plan(limit_egress=False).service_args["product"]


def test_namespaces_are_labelled_for_the_control_planes_revision():
    values = dev_values()
    values["istio"]["revision"] = "canary"
    assert plan_environment(load(values)).namespace_args == {"shop-dev": {"revision": "canary", "default_deny": True}}
    assert plan(namespace_mtls_mode="PERMISSIVE").namespace_args["shop-dev"]["mtls_mode"] == "PERMISSIVE"


def test_external_hosts_go_to_the_default_namespace_and_into_the_callers_egress():
    values = dev_values()
    values["external_hosts"] = [{"host": "api.currency.example.com"}]
    values["services"][0]["egress"] = ["api.currency.example.com"]
    p = plan_environment(load(values))
    assert p.namespace_args["shop-dev"]["external_hosts"] == [{"host": "api.currency.example.com"}]
    assert "shop-dev/api.currency.example.com" in p.service_args["product"]["egress_hosts"]
    assert "shop-dev/api.currency.example.com" not in p.service_args["review"]["egress_hosts"]

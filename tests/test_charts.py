"""The values the program gives Istio's charts take effect: each release rendered
offline by Helm's own engine from the charts in ../shared/istio/charts."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from istio_mesh import defaults
from istio_mesh.control_plane_spec import control_plane_spec, gateway_identity
from mesh.config import load
from mesh.environment import plan_environment
from mesh.offline import PROJECT_DIR
from tests.charts import needs_charts, one, render, render_release, unread_keys

pytestmark = needs_charts

CANARY = PROJECT_DIR / "examples" / "stacks" / "canary-upgrade.yaml"


def stack_istio(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text())["config"]["service-mesh:istio"])


def releases(istio: dict[str, Any]) -> dict[str, Any]:
    return {r.key: r for r in control_plane_spec(istio).releases}


def istiod_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = one(docs, "Deployment")
    (container,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "discovery"]
    return container


def mesh_config(docs: list[dict[str, Any]]) -> dict[str, Any]:
    config = [d for d in docs if d["kind"] == "ConfigMap" and "mesh" in d.get("data", {})]
    assert len(config) == 1
    mesh: dict[str, Any] = yaml.safe_load(config[0]["data"]["mesh"])
    return mesh


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_rendered_mesh_config_has_the_tracing_provider_and_keeps_the_charts_prometheus_metrics(stack):
    docs = render_release(releases(stack_istio(PROJECT_DIR / f"Pulumi.{stack}.yaml"))["istiod"])
    mesh = mesh_config(docs)
    assert mesh["extensionProviders"] == [
        {
            "name": defaults.TRACING_PROVIDER,
            "opentelemetry": {"service": "otel-collector.observability.svc.cluster.local", "port": 4317},
        }
    ]
    assert mesh["defaultProviders"] == {"metrics": ["prometheus"]}
    assert mesh["enablePrometheusMerge"] is True


def test_a_users_own_extension_providers_merge_with_the_tracing_one_by_name():
    istio = {
        "tracing": {"provider": "zipkin", "service": "zipkin.tracing.svc.cluster.local"},
        "istiod_values": {
            "meshConfig": {
                "extensionProviders": [
                    {"name": "authz", "envoyExtAuthzGrpc": {"service": "authz.sec.svc.cluster.local", "port": 9000}}
                ]
            }
        },
    }
    mesh = mesh_config(render_release(releases(istio)["istiod"]))
    assert [p["name"] for p in mesh["extensionProviders"]] == [defaults.TRACING_PROVIDER, "authz"]
    assert mesh["extensionProviders"][0]["zipkin"] == {"service": "zipkin.tracing.svc.cluster.local", "port": 9411}


def test_the_rendered_istiod_blocks_jwks_fetches_to_private_ranges_and_an_override_replaces_them():
    env = {e["name"]: e.get("value") for e in istiod_container(render_release(releases({})["istiod"]))["env"]}
    assert env["BLOCKED_CIDRS_IN_JWKS_URIS"].split(",") == list(defaults.CONTROL_PLANE.jwks_blocked_cidrs)
    assert "169.254.0.0/16" in env["BLOCKED_CIDRS_IN_JWKS_URIS"].split(",")
    own = releases({"jwks_blocked_cidrs": ["10.1.0.0/16"]})["istiod"]
    env = {e["name"]: e.get("value") for e in istiod_container(render_release(own))["env"]}
    assert env["BLOCKED_CIDRS_IN_JWKS_URIS"] == "10.1.0.0/16"
    off = releases({"jwks_blocked_cidrs": []})["istiod"]
    assert "BLOCKED_CIDRS_IN_JWKS_URIS" not in {e["name"] for e in istiod_container(render_release(off))["env"]}


def test_trust_domain_and_cluster_domain_reach_the_rendered_mesh_config_and_istiod():
    docs = render_release(releases({"trust_domain": "corp.example", "cluster_domain": "k8s.corp"})["istiod"])
    assert mesh_config(docs)["trustDomain"] == "corp.example"
    args = istiod_container(docs)["args"]
    assert args[args.index("--domain") + 1] == "k8s.corp"


def test_istiod_size_and_autoscaling_take_effect():
    prod = releases(stack_istio(PROJECT_DIR / "Pulumi.prod.yaml"))["istiod"]
    docs = render_release(prod)
    hpa = one(docs, "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 6)
    fixed = render_release(releases({"istiod": {"replicas": 2}})["istiod"])
    assert one(fixed, "Deployment")["spec"]["replicas"] == 2
    resources = istiod_container(fixed)["resources"]
    assert resources == {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": 1, "memory": "4Gi"}}
    assert not [d for d in fixed if d["kind"] == "HorizontalPodAutoscaler"]


def test_each_tag_gets_its_injection_webhook_from_the_revision_it_points_at():
    rels = releases(stack_istio(CANARY))
    webhooks = {}
    for key in ("istiod-1-30-3", "istiod-1-30-5"):
        for doc in render_release(rels[key]):
            if doc["kind"] == "MutatingWebhookConfiguration" and doc["metadata"]["name"].startswith(
                "istio-revision-tag-"
            ):
                webhooks[doc["metadata"]["name"]] = doc
    assert set(webhooks) == {"istio-revision-tag-stable", "istio-revision-tag-canary"}
    stable, canary = webhooks["istio-revision-tag-stable"], webhooks["istio-revision-tag-canary"]
    assert {w["clientConfig"]["service"]["name"] for w in stable["webhooks"]} == {"istiod-1-30-3"}
    assert {w["clientConfig"]["service"]["name"] for w in canary["webhooks"]} == {"istiod-1-30-5"}
    selector = stable["webhooks"][0]["namespaceSelector"]["matchExpressions"]
    assert {"key": "istio.io/rev", "operator": "In", "values": ["stable"]} in selector


def test_moving_a_tag_moves_its_webhook_to_the_new_revisions_release():
    istio = stack_istio(CANARY)
    istio["tags"] = {"stable": "1-30-5", "canary": "1-30-5"}
    rels = releases(istio)
    old = [
        d["metadata"]["name"]
        for d in render_release(rels["istiod-1-30-3"])
        if d["kind"] == "MutatingWebhookConfiguration"
    ]
    new = [
        d["metadata"]["name"]
        for d in render_release(rels["istiod-1-30-5"])
        if d["kind"] == "MutatingWebhookConfiguration"
    ]
    assert not [n for n in old if n.startswith("istio-revision-tag-")]
    assert {"istio-revision-tag-stable", "istio-revision-tag-canary"} <= set(new)


def test_base_validates_through_the_first_revision_and_fails_closed():
    docs = render_release(releases(stack_istio(CANARY))["base"])
    validator = one(docs, "ValidatingWebhookConfiguration", "istiod-default-validator")
    assert {w["clientConfig"]["service"]["name"] for w in validator["webhooks"]} == {"istiod-1-30-3"}
    assert {w["failurePolicy"] for w in validator["webhooks"]} == {"Fail"}


GATEWAY_VALUES = [
    {},
    {"serviceAccount": {"name": "edge"}},
    {"labels": {"istio": "edge-gw"}},
    {"name": "public-gateway"},
    {"serviceAccount": {"create": False}},
    {"name": "istio-public", "serviceAccount": {"create": False, "name": "shared"}, "labels": {"istio": "pub"}},
]


@pytest.mark.parametrize("values", GATEWAY_VALUES)
def test_the_derived_gateway_identity_is_the_one_the_chart_renders(values):
    release = releases({"gateway": {"values": values}})["gateway"]
    identity = gateway_identity(release.name, release.values)
    pod = one(render_release(release), "Deployment")["spec"]["template"]
    assert pod["spec"]["serviceAccountName"] == identity.service_account
    assert identity.selector.items() <= pod["metadata"]["labels"].items()


def test_the_entry_service_admits_and_the_gateway_selects_the_gateways_real_identity():
    raw = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]
    values = {k.split(":", 1)[1]: v for k, v in raw.items()}
    values["istio"]["gateway"]["values"] = {"serviceAccount": {"name": "edge"}, "labels": {"istio": "edge"}}
    cfg = load(values)
    plan = plan_environment(cfg)
    assert {"namespace": "istio-ingress", "service_account": "edge"} in plan.service_args["product"]["allowed_callers"]
    spec = control_plane_spec(cfg.istio)
    gateway = next(m for m in spec.resources if m["kind"] == "Gateway")
    pod = one(render_release(next(r for r in spec.releases if r.key == "gateway")), "Deployment")["spec"]["template"]
    assert gateway["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert pod["spec"]["serviceAccountName"] == "edge"


def test_the_gateway_pods_select_their_tag_and_restart_with_it_beside_the_charts_own_annotations():
    release = releases(stack_istio(CANARY))["gateway"]
    pod = one(render_release(release), "Deployment")["spec"]["template"]
    assert pod["metadata"]["labels"]["istio.io/rev"] == "stable"
    annotations = pod["metadata"]["annotations"]
    assert annotations[defaults.INJECTED_BY_ANNOTATION] == "1-30-3/1.30.3"
    assert annotations["prometheus.io/scrape"] == "true"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "canary"])
def test_every_values_key_the_program_sets_is_one_the_chart_reads(stack):
    path = CANARY if stack == "canary" else PROJECT_DIR / f"Pulumi.{stack}.yaml"
    for release in control_plane_spec(stack_istio(path)).releases:
        values = dict(release.values)
        # The istiod chart reads `pilot.*` as its top-level values (its 1.x layout).
        if release.chart == "istiod":
            values = {**{k: v for k, v in values.items() if k != "pilot"}, **values.get("pilot", {})}
        assert unread_keys(release.chart, values) == [], f"{release.name}: keys the {release.chart} chart ignores"


def test_a_misspelt_values_key_is_caught_by_the_key_check():
    values = {"replicaCont": 2, "service": {"tipe": "NodePort"}, "podAnnotations": {"any": "key"}}
    assert unread_keys("gateway", values) == ["replicaCont", "service.tipe"]


def test_render_sees_the_pilot_block_as_the_charts_top_level_values():
    docs = render("istiod", {"pilot": {"autoscaleEnabled": False, "replicaCount": 4}}, "istiod", "istio-system")
    assert one(docs, "Deployment")["spec"]["replicas"] == 4

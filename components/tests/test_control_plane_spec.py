"""IstioControlPlane's releases and policies, built as pure data."""

import pytest

from istio_mesh import defaults
from istio_mesh.control_plane_spec import control_plane_spec, deep_merge, injection_labels
from istio_mesh.validation import ArgsError


def release(spec, key):
    return next(r for r in spec.releases if r.key == key)


def test_base_then_istiod_from_the_official_repository_at_one_pinned_version():
    spec = control_plane_spec({})
    assert [(r.key, r.name, r.chart, r.after) for r in spec.releases] == [
        ("base", "istio-base", "base", ()),
        ("istiod", "istiod", "istiod", ("base",)),
    ]
    assert {r.version for r in spec.releases} == {defaults.CONTROL_PLANE.version} == {"1.30.5"}
    assert {r.repository for r in spec.releases} == {"https://istio-release.storage.googleapis.com/charts"}
    assert {r.namespace for r in spec.releases} == {"istio-system"}


def test_validation_fails_closed_in_both_charts():
    spec = control_plane_spec({})
    for key in ("base", "istiod"):
        assert release(spec, key).values["base"] == {"validationFailurePolicy": "Fail"}


def test_an_oci_registry_is_named_in_the_chart_with_no_repository():
    spec = control_plane_spec({"repository": "oci://mirror.example.com/istio/"})
    assert release(spec, "istiod").chart == "oci://mirror.example.com/istio/istiod"
    assert release(spec, "istiod").repository is None


def test_typed_knobs_reach_the_istiod_values_and_free_values_merge_over_them():
    spec = control_plane_spec(
        {
            "istiod": {"replicas": 2, "autoscale_max": 4, "resources": {"cpu_request": "1"}},
            "access_log": False,
            "outbound_traffic_policy": "REGISTRY_ONLY",
            "istiod_values": {"pilot": {"env": {"PILOT_X": "1"}}, "meshConfig": {"accessLogEncoding": "JSON"}},
        }
    )
    values = release(spec, "istiod").values
    assert values["pilot"]["replicaCount"] == 2
    assert (values["pilot"]["autoscaleEnabled"], values["pilot"]["autoscaleMax"]) == (True, 4)
    assert values["pilot"]["resources"]["requests"]["cpu"] == "1"
    assert values["pilot"]["env"]["PILOT_X"] == "1"
    assert "BLOCKED_CIDRS_IN_JWKS_URIS" in values["pilot"]["env"]
    assert values["meshConfig"]["accessLogFile"] == ""
    assert values["meshConfig"]["accessLogEncoding"] == "JSON"
    assert values["meshConfig"]["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}


def test_a_revision_selects_namespaces_by_istio_io_rev_and_never_both_labels():
    assert injection_labels("") == {"istio-injection": "enabled"}
    assert injection_labels("1-30") == {"istio.io/rev": "1-30"}
    spec = control_plane_spec({"revision": "1-30"})
    assert release(spec, "istiod").values["revision"] == "1-30"
    assert spec.injection_labels == {"istio.io/rev": "1-30"}


def test_the_gateway_comes_after_istiod_with_its_own_namespace_and_gateway_resource():
    spec = control_plane_spec(
        {"gateway": {"service_type": "NodePort", "hosts": ["shop.example.com"], "tls_credential_name": "shop-tls"}}
    )
    gw = release(spec, "gateway")
    assert (gw.name, gw.chart, gw.after, gw.namespace) == ("istio-ingress", "gateway", ("istiod",), "istio-ingress")
    assert gw.values["service"] == {"type": "NodePort"}
    gateway = next(m for m in spec.resources if m["kind"] == "Gateway")
    assert gateway["apiVersion"] == "networking.istio.io/v1"
    assert gateway["spec"]["selector"] == {"istio": "ingress"}
    https = gateway["spec"]["servers"][1]
    assert https["tls"] == {"mode": "SIMPLE", "credentialName": "shop-tls"}
    assert spec.gateway_ref == "istio-ingress/istio-ingress"


def test_mesh_wide_mtls_and_telemetry_follow_the_args():
    tracing = {"provider": "zipkin", "service": "zipkin.tracing.svc.cluster.local"}
    spec = control_plane_spec({"mtls_mode": "PERMISSIVE", "tracing_sampling_percent": 5, "tracing": tracing})
    kinds = {m["kind"]: m for m in spec.resources}
    assert kinds["PeerAuthentication"]["spec"] == {"mtls": {"mode": "PERMISSIVE"}}
    assert kinds["PeerAuthentication"]["metadata"]["namespace"] == "istio-system"
    assert kinds["Telemetry"]["spec"]["tracing"] == [
        {"providers": [{"name": "mesh-tracing"}], "randomSamplingPercentage": 5.0}
    ]
    assert control_plane_spec({}).resources[0]["spec"] == {"mtls": {"mode": "STRICT"}}


def test_protect_protects_every_release_but_retains_none_so_a_destroy_uninstalls_base():
    spec = control_plane_spec({"protect": True, "gateway": {}})
    assert [r.key for r in spec.releases if r.protect] == ["base", "istiod", "gateway"]
    assert [r.key for r in spec.releases if r.retain_on_delete] == []


def test_deep_merge_merges_maps_and_replaces_the_rest():
    assert deep_merge({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2]}, "d": 3}) == {"a": {"b": 1, "c": [2]}, "d": 3}


def test_bad_args_raise_every_problem():
    with pytest.raises(ArgsError) as err:
        control_plane_spec({"revison": "x", "istiod": {"replicas": "two"}})
    assert "did you mean 'revision'" in str(err.value) and "args.istiod.replicas" in str(err.value)


def test_istiod_and_a_replicated_gateway_get_disruption_budgets():
    spec = control_plane_spec({"gateway": {"replicas": 2}})
    assert release(spec, "istiod").values["global"]["defaultPodDisruptionBudget"] == {"enabled": True}
    assert release(spec, "gateway").values["podDisruptionBudget"] == {"minAvailable": 1}
    assert "podDisruptionBudget" not in release(control_plane_spec({"gateway": {}}), "gateway").values


def test_every_release_gets_the_timeout():
    assert {r.timeout for r in control_plane_spec({"gateway": {}}).releases} == {600}
    assert {r.timeout for r in control_plane_spec({"timeout_seconds": 900, "gateway": {}}).releases} == {900}


def test_sampling_traces_without_a_tracing_provider_is_refused_and_zero_or_unset_is_not():
    with pytest.raises(ArgsError) as err:
        control_plane_spec({"tracing_sampling_percent": 10})
    (problem,) = err.value.problems
    assert problem.path == "args.tracing_sampling_percent" and "`tracing`" in problem.message
    assert "tracing" not in control_plane_spec({"tracing_sampling_percent": 0}).resources[1]["spec"]
    assert "tracing" not in control_plane_spec({}).resources[1]["spec"]


def test_tracing_defaults_to_one_percent_and_the_conventional_collector_port():
    spec = control_plane_spec({"tracing": {"provider": "opentelemetry", "service": "otel.obs.svc.cluster.local"}})
    assert spec.resources[1]["spec"]["tracing"][0]["randomSamplingPercentage"] == 1.0
    providers = release(spec, "istiod").values["meshConfig"]["extensionProviders"]
    assert providers == [
        {"name": "mesh-tracing", "opentelemetry": {"service": "otel.obs.svc.cluster.local", "port": 4317}}
    ]
    assert "defaultProviders" not in release(spec, "istiod").values["meshConfig"]


def test_bad_domains_cidrs_and_collector_are_each_refused_at_their_key():
    with pytest.raises(ArgsError) as err:
        control_plane_spec(
            {
                "trust_domain": "Bad Domain",
                "cluster_domain": "-x",
                "jwks_blocked_cidrs": ["10.0.0.0/8", "10.0.0.1/8", "nope"],
                "tracing": {"provider": "zipkin", "service": "not a host", "port": 0},
            }
        )
    assert {p.path for p in err.value.problems} == {
        "args.trust_domain",
        "args.cluster_domain",
        "args.jwks_blocked_cidrs[1]",
        "args.jwks_blocked_cidrs[2]",
        "args.tracing.service",
        "args.tracing.port",
    }


def test_the_gateway_selector_and_identity_follow_its_helm_values():
    spec = control_plane_spec(
        {"gateway": {"values": {"name": "public", "serviceAccount": {"name": "edge"}, "labels": {"istio": "pub"}}}}
    )
    gateway = next(m for m in spec.resources if m["kind"] == "Gateway")
    assert gateway["spec"]["selector"] == {"istio": "pub"}
    assert (spec.gateway_namespace, spec.gateway_service_account) == ("istio-ingress", "edge")


def test_the_control_plane_namespace_and_domains_flow_to_istiod():
    spec = control_plane_spec(
        {"namespace": "mesh-system", "trust_domain": "corp.example", "cluster_domain": "k8s.corp"}
    )
    values = release(spec, "istiod").values
    assert values["global"]["istioNamespace"] == "mesh-system"
    assert values["meshConfig"]["trustDomain"] == "corp.example"
    assert values["global"]["proxy"]["clusterDomain"] == "k8s.corp"

"""Each stack's own file, run under mocks as `pulumi up` would run it, tells its story."""

import pytest

from mesh.analysis.authorization import allowed, workload_identities
from mesh.offline import object_name


def manifest(run, kind, name):
    (reg,) = run.find(kind, name)
    return reg.inputs


def test_every_stack_has_the_reference_app_with_product_calling_review_through_env(stacks):
    for run in stacks.values():
        pod = manifest(run, "Deployment", "product-v1")["spec"]["template"]["spec"]
        env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
        ns = manifest(run, "Deployment", "product-v1")["metadata"]["namespace"]
        assert env == {"REVIEW_HOST": f"review.{ns}.svc.cluster.local", "REVIEW_PORT": "9080"}
        assert manifest(run, "Service", "product")["spec"]["ports"][0]["port"] == 8080
        assert manifest(run, "Service", "review")["spec"]["ports"][0]["port"] == 9080


def test_dev_injects_faults_into_review_and_needs_no_load_balancer(stacks):
    dev = stacks["dev"]
    route = manifest(dev, "VirtualService", "review")["spec"]["http"][0]
    assert route["fault"]["delay"]["fixedDelay"] == "2s" and route["fault"]["abort"]["httpStatus"] == 503
    (gateway,) = dev.find("Release", "istio-ingress")
    assert gateway.inputs["values"]["service"]["type"] == "NodePort"


def test_staging_sends_a_ninety_ten_canary_of_review_v2_and_mirrors_to_v3(stacks):
    staging = stacks["staging"]
    route = manifest(staging, "VirtualService", "review")["spec"]["http"][0]
    assert [(r["destination"]["subset"], r["weight"]) for r in route["route"]] == [("v1", 90), ("v2", 10)]
    assert route["mirror"]["subset"] == "v3" and route["mirrorPercentage"] == {"value": 20}
    subsets = manifest(staging, "DestinationRule", "review")["spec"]["subsets"]
    assert [s["name"] for s in subsets] == ["v1", "v2", "v3"]
    assert {object_name(r) for r in staging.find("Deployment")} >= {"review-v1", "review-v2", "review-v3"}


def test_prod_routes_jason_to_review_v2_and_everyone_else_to_v1(stacks):
    http = manifest(stacks["prod"], "VirtualService", "review")["spec"]["http"]
    assert http[0]["match"] == [{"headers": {"end-user": {"exact": "jason"}}}]
    assert http[0]["route"][0]["destination"]["subset"] == "v2"
    assert "match" not in http[1] and http[1]["route"][0]["destination"]["subset"] == "v1"


def test_prod_has_a_protected_highly_available_control_plane_and_https(stacks):
    prod = stacks["prod"]
    releases = {object_name(r): r for r in prod.find("Release")}
    assert all(r.protect for r in releases.values())
    assert not any(r.retain_on_delete for r in releases.values())
    assert releases["istiod"].inputs["values"]["pilot"]["replicaCount"] == 3
    gateway = manifest(prod, "Gateway", "istio-ingress")["spec"]
    assert gateway["servers"][1]["tls"]["credentialName"] == "shop-example-com-tls"
    assert prod.find("HorizontalPodAutoscaler", "product-v1")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_stacks_differ_in_data_only_and_all_use_strict_mtls(stacks, stack):
    (pa,) = stacks[stack].find("PeerAuthentication")
    assert pa.inputs["spec"]["mtls"]["mode"] == "STRICT"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_pod_meets_the_restricted_profile(stacks, stack):
    for reg in stacks[stack].find("Deployment"):
        pod = reg.inputs["spec"]["template"]["spec"]
        assert (
            pod["securityContext"]["runAsNonRoot"]
            and pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        )
        for c in pod["containers"]:
            ctx = c["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"] == ["ALL"]
            assert ctx["readOnlyRootFilesystem"] is True
            assert c["resources"]["limits"] and c["resources"]["requests"]
            assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(c)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_policies_allow_a_call_exactly_when_it_is_declared(stacks, stack):
    run = stacks[stack]
    identities = workload_identities(run)
    declared = {("product", "review"), ("review", "rating")}
    for caller, (ns, sa, _) in identities.items():
        for callee in identities:
            if caller != callee:
                assert allowed(run, (ns, sa), callee) == ((caller, callee) in declared), (caller, callee)
    assert allowed(run, ("istio-ingress", "istio-ingress"), "product")
    assert not allowed(run, ("istio-ingress", "istio-ingress"), "review")


def test_a_stack_with_bad_config_registers_nothing(tmp_path):
    from istio_mesh import ArgsError
    from mesh.offline import PROJECT_DIR, run_stack

    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  service-mesh:istio: {}\n  service-mesh:services: [{name: x}]\n"
    )
    with pytest.raises(ArgsError, match=r"service-mesh:services\[0\].versions"):
        run_stack("broken", tmp_path)


def test_prod_requires_an_end_user_token_at_the_entry_service(stacks):
    prod = stacks["prod"]
    (ra,) = prod.find("RequestAuthentication", "product")
    assert ra.inputs["spec"]["jwtRules"][0]["issuer"] == "https://auth.example.com"
    assert prod.find("AuthorizationPolicy", "product-require-jwt")
    assert not stacks["staging"].find("RequestAuthentication")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_registry_only_stacks_reach_their_external_api_through_a_service_entry(stacks, stack):
    run = stacks[stack]
    (istiod,) = run.find("Release", "istiod")
    assert istiod.inputs["values"]["meshConfig"]["outboundTrafficPolicy"]["mode"] == "REGISTRY_ONLY"
    (entry,) = run.find("ServiceEntry")
    assert entry.inputs["spec"]["hosts"] == ["api.currency.example.com"]
    (sidecar,) = run.find("Sidecar", "product")
    ns = entry.inputs["metadata"]["namespace"]
    assert f"{ns}/api.currency.example.com" in sidecar.inputs["spec"]["egress"][0]["hosts"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_telemetry_logs_access_and_samples_traces_per_stack(stacks, stack):
    (telemetry,) = stacks[stack].find("Telemetry")
    expected = {"dev": 100, "staging": 10, "prod": 1}[stack]
    assert telemetry.inputs["spec"]["tracing"] == [
        {"providers": [{"name": "mesh-tracing"}], "randomSamplingPercentage": expected}
    ]
    assert telemetry.inputs["spec"]["accessLogging"] == [{"providers": [{"name": "envoy"}]}]
    (istiod,) = stacks[stack].find("Release", "istiod")
    assert istiod.inputs["values"]["meshConfig"]["enablePrometheusMerge"] is True


def test_dev_exposes_product_on_any_host_through_a_gateway_only_virtual_service(stacks):
    (ingress,) = stacks["dev"].find("VirtualService", "product-ingress")
    assert ingress.inputs["spec"]["gateways"] == ["istio-ingress/istio-ingress"]
    assert ingress.inputs["spec"]["hosts"] == ["*"]
    (mesh_vs,) = stacks["prod"].find("VirtualService", "product")
    assert mesh_vs.inputs["spec"]["gateways"] == ["mesh", "istio-ingress/istio-ingress"]
    assert mesh_vs.inputs["spec"]["hosts"] == ["product.shop.svc.cluster.local", "shop.example.com"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_destination_rules_leave_tls_to_auto_mtls_so_they_agree_with_the_mode(stacks, stack):
    for dr in stacks[stack].find("DestinationRule"):
        spec = dr.inputs["spec"]
        policies = [spec.get("trafficPolicy", {}), *(s.get("trafficPolicy", {}) for s in spec["subsets"])]
        assert all("tls" not in p for p in policies), dr.name

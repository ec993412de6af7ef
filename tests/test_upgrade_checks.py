"""mesh.analysis.upgrades: one broken input per rule, each caught with its code; the stacks' verdicts."""

import pytest

from mesh.analysis import check
from mesh.analysis.upgrades import (
    gateway_tls_secrets,
    jwks_fetch_unrestricted,
    revision_selection,
    tracing_providers,
    vulnerable_versions,
)
from mesh.cli import main
from mesh.offline import PROJECT_DIR, run_stack
from tests.test_golden import matches_golden_entry

CANARY = PROJECT_DIR / "examples" / "stacks" / "canary-upgrade.yaml"


def istiod(revision="", tags=(), version="1.30.5", **values):
    return {
        "name": f"istiod-{revision}" if revision else "istiod",
        "chart": "istiod",
        "version": version,
        "namespace": "istio-system",
        "values": {**({"revision": revision} if revision else {}), "revisionTags": list(tags), **values},
    }


def namespace(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def test_a_release_pinned_before_a_security_patch_is_warned_about_by_advisory():
    (finding,) = vulnerable_versions([istiod(version="1.30.3"), istiod("b", version="1.30.5")])
    matches_golden_entry("findings-cases", "MESH0501 a_release_pinned_before_a_security_patch", finding.as_dict())
    assert (finding.code, finding.severity, finding.object) == ("MESH0501", "warning", "Release/istio-system/istiod")
    assert "ISTIO-1.30.4-SECURITY" in finding.message and "1.30.5" in finding.fix
    oci = {**istiod(version="1.30.3"), "chart": "oci://mirror.example/istio/base"}
    assert [f.code for f in vulnerable_versions([oci])] == ["MESH0501"]
    assert vulnerable_versions([{**istiod(version="1.30.3"), "chart": "cert-manager"}]) == []


def test_a_namespace_or_gateway_selecting_a_revision_no_istiod_provides_is_an_error():
    releases = [istiod("1-30-5", tags=["stable"])]
    manifests = [
        namespace("ok", **{"istio.io/rev": "stable"}),
        namespace("also-ok", **{"istio.io/rev": "1-30-5"}),
        namespace("gone", **{"istio.io/rev": "1-30-3"}),
        namespace("default", **{"istio-injection": "enabled"}),
    ]
    gateway = {"name": "gw", "chart": "gateway", "namespace": "istio-ingress", "values": {"revision": "canary"}}
    found = revision_selection([*releases, gateway], manifests)
    matches_golden_entry(
        "findings-cases", "MESH0502 selecting_a_revision_no_istiod_provides", [f.as_dict() for f in found]
    )
    assert {(f.code, f.object) for f in found} == {
        ("MESH0502", "Namespace/gone"),
        ("MESH0502", "Namespace/default"),
        ("MESH0502", "Release/istio-ingress/gw"),
    }
    assert revision_selection([istiod()], [namespace("default", **{"istio-injection": "enabled"})]) == []


def test_a_gateway_tls_secret_the_stack_does_not_create_is_warned_about():
    gateway = {
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "istio-ingress"},
        "spec": {"servers": [{"port": {"number": 80}}, {"tls": {"credentialName": "shop-tls"}}]},
    }
    (finding,) = gateway_tls_secrets([gateway])
    matches_golden_entry("findings-cases", "MESH0503 a_gateway_tls_secret_the_stack_does_not_create", finding.as_dict())
    assert (finding.code, finding.path) == ("MESH0503", "spec.servers[1].tls.credentialName")
    secret = {"kind": "Secret", "metadata": {"name": "shop-tls", "namespace": "istio-ingress"}}
    assert gateway_tls_secrets([gateway, secret]) == []
    elsewhere = {"kind": "Secret", "metadata": {"name": "shop-tls", "namespace": "shop"}}
    assert len(gateway_tls_secrets([gateway, elsewhere])) == 1


def test_tracing_through_an_undeclared_provider_is_an_error_and_through_none_a_warning():
    declared = istiod(meshConfig={"extensionProviders": [{"name": "mesh-tracing", "zipkin": {}}]})

    def telemetry(*providers, rate=1.0):
        spec = {"providers": [{"name": p} for p in providers], "randomSamplingPercentage": rate}
        return {
            "kind": "Telemetry",
            "metadata": {"name": "t", "namespace": "istio-system"},
            "spec": {"tracing": [spec]},
        }

    assert tracing_providers([declared], [telemetry("mesh-tracing")]) == []
    undeclared = tracing_providers([declared], [telemetry("jaeger")]) + tracing_providers([istiod()], [telemetry()])
    matches_golden_entry("findings-cases", "MESH0504 MESH0505 tracing_providers", [f.as_dict() for f in undeclared])
    assert [(f.code, f.severity) for f in tracing_providers([declared], [telemetry("jaeger")])] == [
        ("MESH0504", "error")
    ]
    assert [(f.code, f.severity) for f in tracing_providers([istiod()], [telemetry()])] == [("MESH0505", "warning")]
    assert tracing_providers([istiod()], [telemetry(rate=0)]) == []


def test_request_authentications_without_blocked_jwks_cidrs_on_istiod_raise_ist0175():
    auth = {"kind": "RequestAuthentication", "metadata": {"name": "product", "namespace": "shop"}}
    (finding,) = jwks_fetch_unrestricted([istiod()], [auth])
    matches_golden_entry(
        "findings-cases", "IST0175 request_authentications_without_blocked_jwks_cidrs", finding.as_dict()
    )
    assert (finding.code, finding.severity) == ("IST0175", "warning")
    assert "1 RequestAuthentication resource(s) exist (RequestAuthentication/shop/product)" in finding.message
    hardened = istiod(pilot={"env": {"BLOCKED_CIDRS_IN_JWKS_URIS": "10.0.0.0/8"}})
    assert jwks_fetch_unrestricted([hardened], [auth]) == []
    assert jwks_fetch_unrestricted([istiod()], []) == []


def test_the_program_keeps_istiod_hardened_where_prod_requires_jwts(stacks):
    codes = {f.code for f in check(stacks["prod"])}
    assert "IST0175" not in codes
    assert stacks["prod"].find("RequestAuthentication")


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_stacks_on_the_default_release_with_no_tls_have_no_upgrade_finding(stacks, stack):
    assert not [f for f in check(stacks[stack]) if f.code.startswith("MESH05")]


def test_prod_is_warned_that_its_gateway_secret_is_not_managed_by_the_stack(stacks):
    found = [f for f in check(stacks["prod"]) if f.code.startswith("MESH05")]
    assert [(f.code, f.object) for f in found] == [("MESH0503", "Gateway/istio-ingress/istio-ingress")]


def test_the_canary_example_checks_clean_but_for_the_old_revisions_advisory():
    run = run_stack("canary-upgrade", stack_file=CANARY, analysis=True)
    found = [f for f in check(run, declared=run.declared_calls) if f.code != "MESH0002"]
    assert [(f.code, f.object) for f in found] == [("MESH0501", "Release/istio-system/istiod-1-30-3")]


def test_render_and_check_take_a_stack_file_named_after_it(tmp_path, capsys):
    assert main(["render", "--stack-file", str(CANARY), "--out", str(tmp_path)]) == 0
    assert "Rendered stack 'canary-upgrade'" in capsys.readouterr().out
    assert (tmp_path / "istio" / "release-istiod-1-30-5.yaml").exists()
    assert main(["check", "--stack-file", str(CANARY)]) == 0
    assert "stack 'canary-upgrade'" in capsys.readouterr().out
    assert main(["check", "--stack-file", str(tmp_path / "missing.yaml")]) == 2
    assert "no stack file" in capsys.readouterr().err


def test_the_programs_own_analysis_stops_when_istiod_values_take_away_a_tag_in_use():
    import yaml

    from mesh.config import load
    from mesh.environment import plan_environment
    from mesh.program import AnalysisError, analyse

    raw = yaml.safe_load(CANARY.read_text())["config"]
    values = {k.split(":", 1)[1]: v for k, v in raw.items()}
    cfg = load(values)
    analyse(cfg, plan_environment(cfg))  # as committed: only warnings
    values["istio"]["istiod_values"] = {"revisionTags": []}
    cfg = load(values)
    with pytest.raises(AnalysisError) as err:
        analyse(cfg, plan_environment(cfg))
    assert "MESH0502" in str(err.value) and "Namespace/shop-canary" in str(err.value)


def test_a_stack_with_its_own_trust_domain_cluster_domain_and_root_namespace_checks_clean(tmp_path):
    import yaml

    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    stack["config"]["service-mesh:istio"] |= {
        "namespace": "mesh-system",
        "trust_domain": "corp.example",
        "cluster_domain": "k8s.corp",
    }
    (tmp_path / "Pulumi.corp.yaml").write_text(yaml.safe_dump(stack))
    run = run_stack("corp", tmp_path, analysis=True)
    found = [(f.code, f.object) for f in check(run, declared=run.declared_calls) if f.code != "MESH0002"]
    assert found == [("MESH0503", "Gateway/istio-ingress/istio-ingress")]
    (sidecar,) = run.find("Sidecar", "review")
    assert "mesh-system/*" in sidecar.inputs["spec"]["egress"][0]["hosts"]
    (policy,) = run.find("AuthorizationPolicy", "review")
    assert policy.inputs["spec"]["rules"][0]["from"][0]["source"]["principals"] == ["corp.example/ns/shop/sa/product"]
    assert run.outputs["services"]["review"] == "review.shop.svc.k8s.corp:9080"


def test_policies_in_the_control_planes_own_root_namespace_apply_mesh_wide_in_the_analysis():
    import pulumi

    from istio_mesh import IstioControlPlane, MeshService
    from istio_mesh.registration import register
    from tests.conftest import run_program, service_args

    def program():
        cp = IstioControlPlane("istio", {"namespace": "mesh-system"})
        opts = pulumi.ResourceOptions(depends_on=cp.ready)
        deny = {"from": [{"source": {"principals": ["*"]}}]}
        policy = {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "deny-all", "namespace": "mesh-system"},
            "spec": {"action": "DENY", "rules": [deny]},
        }
        register("istio", policy, opts)
        MeshService("product", service_args(namespace="shop"), opts)
        MeshService("review", service_args(namespace="shop"), opts)

    run = run_program(program)
    found = [f for f in check(run, declared={("product", "review")}) if f.code == "MESH0201"]
    assert [f.object for f in found] == ["AuthorizationPolicy/shop/review"]

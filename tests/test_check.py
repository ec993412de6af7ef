"""`check`: one broken fixture per finding, each caught with its code; real stacks are clean."""

import copy
import json

import pulumi
import pytest
import yaml

from istio_mesh import IstioControlPlane, MeshService
from istio_mesh.registration import register
from mesh.analysis import check
from mesh.analysis.schemas import CRDS_ENV
from mesh.cli import main
from tests.conftest import crds, needs_crds, run_program, service_args
from tests.test_golden import matches_golden_entry


def findings_of(run, declared=None):
    """Findings, less the one that only says the CRDs are absent on this machine."""
    return [f for f in check(run, declared=declared) if f.code != "MESH0002"]


def codes(run, declared=None):
    return {f.code for f in findings_of(run, declared)}


def reported(code, run, key, declared=None):
    """Whether ``code`` is found, and what it says is word for word its golden entry
    (tests/golden/findings-cases.json, under ``key``)."""
    found = [f.as_dict() for f in findings_of(run, declared) if f.code == code]
    matches_golden_entry("findings-cases", key, found)
    return bool(found)


def mesh_with(extra=None, service=None, ordered=True):
    """A control plane, one service, and extra manifests registered beside it."""

    def program():
        cp = IstioControlPlane("istio", {})
        opts = pulumi.ResourceOptions(depends_on=cp.ready) if ordered else None
        MeshService(
            "review",
            service or service_args(versions=[{"name": "v1", "image": "a:1"}, {"name": "v2", "image": "a:2"}]),
            opts,
        )
        for i, manifest in enumerate(extra or []):
            register(f"extra{i}", manifest, pulumi.ResourceOptions(depends_on=cp.ready))

    return run_program(program)


def vs(name, http, hosts=("review.shop.svc.cluster.local",)):
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"hosts": list(hosts), "http": http},
    }


DEST = {"host": "review.shop.svc.cluster.local", "port": {"number": 9080}}
DEFAULT_DENY = {
    "apiVersion": "security.istio.io/v1",
    "kind": "AuthorizationPolicy",
    "metadata": {"name": "allow-nothing", "namespace": "shop"},
    "spec": {"action": "ALLOW"},
}
"""What MeshNamespace gives a namespace: without it, no policy covers the service (KIA1301)."""


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_real_stacks_check_clean(stacks, stack):
    run = stacks[stack]
    # prod's gateway TLS secret is made outside the stack: a warning, by design (README).
    expected = [("MESH0503", "warning")] if stack == "prod" else []
    assert [(f.code, f.severity) for f in findings_of(run, declared=run.declared_calls)] == expected


def test_absent_default_crds_are_one_warning_naming_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv(CRDS_ENV, str(tmp_path / "none.yaml"))
    (finding,) = [f for f in check(mesh_with()) if f.code == "MESH0002"]
    assert finding.severity == "warning" and "none.yaml" in finding.message


def test_a_clean_fixture_has_no_findings():
    assert codes(mesh_with([DEFAULT_DENY])) == set()
    assert codes(mesh_with()) == {"KIA1301"}  # and without default-deny, nothing covers the workload


def test_a_destination_to_an_unknown_host_or_subset_is_ist0101():
    extra = [
        vs("other", [{"route": [{"destination": {**DEST, "subset": "v9"}}]}], hosts=["other.example.com"]),
        vs(
            "third",
            [{"route": [{"destination": {"host": "nowhere.shop.svc.cluster.local"}}]}],
            hosts=["third.example.com"],
        ),
    ]
    run = mesh_with(extra)
    assert reported("IST0101", run, "IST0101 a_destination_to_an_unknown_host_or_subset")
    findings = [f for f in findings_of(run) if f.code == "IST0101"]
    assert {f.path for f in findings} == {
        "spec.http[0].route[0].destination.subset",
        "spec.http[0].route[0].destination.host",
    }


def test_two_mesh_virtual_services_for_one_host_are_ist0109():
    assert reported(
        "IST0109",
        mesh_with([vs("dup", [{"route": [{"destination": DEST}]}])]),
        "IST0109 two_mesh_virtual_services_for_one_host_are_ist0109",
    )


def test_a_destination_without_port_on_a_multi_port_service_is_ist0112():
    service = service_args(ports=[{"port": 9080}, {"port": 9090, "name": "admin"}])
    extra = [vs("other", [{"route": [{"destination": {"host": DEST["host"]}}]}], hosts=["x.example.com"])]
    assert reported(
        "IST0112",
        mesh_with(extra, service=service),
        "IST0112 a_destination_without_port_on_a_multi_port_service_is_ist0112",
    )


def test_a_port_name_without_protocol_is_ist0118():
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "legacy", "namespace": "shop"},
        "spec": {"selector": {"app": "legacy"}, "ports": [{"name": "web", "port": 80}]},
    }
    assert reported("IST0118", mesh_with([svc]), "IST0118 a_port_name_without_protocol_is_ist0118")


def test_both_injection_labels_on_a_namespace_is_ist0123():
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "both", "labels": {"istio-injection": "enabled", "istio.io/rev": "a"}},
    }
    assert reported("IST0123", mesh_with([ns]), "IST0123 both_injection_labels_on_a_namespace_is_ist0123")


def test_a_route_after_a_catch_all_is_ist0130():
    extra = [
        vs(
            "late",
            [
                {"route": [{"destination": DEST}]},
                {"match": [{"uri": {"prefix": "/a"}}], "route": [{"destination": DEST}]},
            ],
            hosts=["late.example.com"],
        )
    ]
    assert reported("IST0130", mesh_with(extra), "IST0130 a_route_after_a_catch_all_is_ist0130")


def test_a_subset_that_selects_no_pod_is_ist0173():
    dr = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "ghost", "namespace": "shop"},
        "spec": {"host": "review", "subsets": [{"name": "v7", "labels": {"version": "v7"}}]},
    }
    assert reported("IST0173", mesh_with([dr]), "IST0173 a_subset_that_selects_no_pod_is_ist0173")


def test_workloads_and_custom_resources_not_ordered_after_the_control_plane_are_found():
    run = mesh_with(ordered=False)
    assert reported("MESH0101", run, "MESH0101 workloads_not_ordered_after_the_control_plane")
    assert reported("MESH0102", run, "MESH0102 custom_resources_not_ordered_after_the_control_plane")


def test_a_kubernetes_schema_violation_is_mesh0001():
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "odd", "namespace": "shop"},
        "spec": {"ports": [{"name": "http", "port": "eighty"}]},
    }
    run = mesh_with([svc])
    assert reported("MESH0001", run, "MESH0001 a_kubernetes_schema_violation")
    (finding,) = [f for f in findings_of(run) if f.code == "MESH0001"]
    assert finding.object == "Service/shop/odd" and finding.path == "spec.ports.0.port"


@needs_crds
def test_an_istio_schema_violation_is_mesh0001():
    bad = vs("bad", [{"route": [{"destination": DEST}], "retries": {"attempts": "many"}}], hosts=["bad.example.com"])
    assert reported("MESH0001", mesh_with([bad]), "MESH0001 an_istio_schema_violation_is_mesh0001")


def test_policies_that_block_a_declared_call_or_admit_an_undeclared_one_are_found(stacks):
    run = copy.deepcopy(stacks["dev"])
    declared = {("product", "review"), ("review", "rating"), ("rating", "product")}
    assert reported("MESH0201", run, "MESH0201 policies_that_block_a_declared_call", declared=declared)
    open_run = mesh_with([DEFAULT_DENY])
    assert codes(open_run, declared=set()) == set()  # a single workload has nobody to call


def test_check_exits_zero_for_a_clean_stack_and_prints_json(capsys):
    assert main(["check", "prod", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["stack"] == "prod" and document["errors"] == 0
    found = [f for f in document["findings"] if f["code"] != "MESH0002"]
    assert [(f["code"], f["severity"]) for f in found] == [("MESH0503", "warning")]


def test_check_fails_on_an_error(tmp_path, capsys):
    from mesh.offline import PROJECT_DIR

    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    # Without default-deny, a service nobody calls has no policy and admits anyone.
    stack["config"]["service-mesh:default_deny"] = False
    stack["config"]["service-mesh:services"].append(
        {"name": "audit", "ports": [{"port": 80}], "versions": [{"name": "v1", "image": "a:1"}]}
    )
    (tmp_path / "Pulumi.open.yaml").write_text(yaml.safe_dump(stack))
    code = main(["--project-dir", str(tmp_path), "check", "open"])
    out = capsys.readouterr().out
    assert code == 1 and "MESH0202" in out


def test_a_service_without_its_own_policy_admits_anyone_and_that_is_mesh0202():
    from mesh.analysis.authorization import PolicyIndex, admission, authorization_findings

    open_policy = admission(PolicyIndex({}), "shop", {"app": "x"})
    assert open_policy.anyone and open_policy.admits(("any", "body"))

    def two_services():
        cp = IstioControlPlane("istio", {})
        opts = pulumi.ResourceOptions(depends_on=cp.ready)
        MeshService("review", service_args(), opts)
        MeshService("rating", service_args(), opts)

    run = run_program(two_services)  # no policy at all: each admits the other, undeclared
    found = [f for f in authorization_findings(run, declared=set()) if f.code == "MESH0202"]
    matches_golden_entry("findings-cases", "MESH0202 a_service_without_its_own_policy", [f.as_dict() for f in found])
    assert {f.object for f in found} == {"AuthorizationPolicy/shop/review", "AuthorizationPolicy/shop/rating"}
    assert authorization_findings(run, declared={("review", "rating"), ("rating", "review")}) == []


def test_a_deny_on_missing_tokens_does_not_block_a_peer_but_a_plain_deny_does():
    from mesh.analysis.authorization import PolicyIndex, admission

    allow = {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/a/sa/b"]}}]}]}
    jwt_deny = {"action": "DENY", "rules": [{"from": [{"source": {"notRequestPrincipals": ["*"]}}]}]}
    plain_deny = {"action": "DENY", "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/a/sa/b"]}}]}]}
    assert admission(PolicyIndex({"shop": [allow, jwt_deny]}), "shop", {}).admits(("a", "b"))
    assert not admission(PolicyIndex({"shop": [allow, plain_deny]}), "shop", {}).admits(("a", "b"))
    assert not admission(PolicyIndex({"shop": [allow]}), "shop", {}).admits(("a", "c"))
    assert not admission(PolicyIndex({"shop": [{"action": "ALLOW"}]}), "shop", {}).admits(("a", "b"))


def test_a_wildcard_host_on_a_mesh_bound_virtual_service_is_mesh0103():
    assert reported(
        "MESH0103",
        mesh_with([vs("star", [{"route": [{"destination": DEST}]}], hosts=["*"])]),
        "MESH0103 a_wildcard_host_on_a_mesh_bound_virtual_service_is_mesh0103",
    )


def test_a_mirror_to_an_undefined_subset_is_ist0101():
    extra = [
        vs(
            "mirrored",
            [{"route": [{"destination": DEST}], "mirror": {**DEST, "subset": "v5"}}],
            hosts=["m.example.com"],
        )
    ]
    run = mesh_with(extra)
    assert reported("IST0101", run, "IST0101 a_mirror_to_an_undefined_subset")
    (finding,) = [f for f in findings_of(run) if f.code == "IST0101"]
    assert finding.path == "spec.http[0].mirror.subset"


def test_every_istio_code_has_istios_own_level():
    messages_file = crds().parent / "analyzer-messages.yaml"
    if not messages_file.exists():
        pytest.skip(f"no {messages_file}")
    from mesh.analysis import RULES

    documented = yaml.safe_load(messages_file.read_text())["messages"]
    levels = {m["code"]: m["level"].lower() for m in documented}
    ours = {code: rule.severity for code, rule in RULES.items() if code.startswith("IST")}
    assert {code: levels[code] for code in ours} == ours


def test_a_policy_naming_a_caller_the_stack_does_not_declare_is_mesh0202(stacks):
    run = stacks["dev"]
    undeclared = set(run.declared_calls) - {("product", "review")}
    assert reported("MESH0202", run, "MESH0202 a_policy_naming_an_undeclared_caller", declared=undeclared)
    found = [f for f in findings_of(run, undeclared) if f.code == "MESH0202"]
    assert [f.message for f in found] == ["product may call review without declaring it"]

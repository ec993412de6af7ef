"""`gateway_api.channel`: retries compile to experimental-channel HTTPRoutes as Istio reads
them, everything they cannot say is refused at its key path per channel, and `check`
validates the result against the experimental CRDs (schemas and CEL rules)."""

import copy
import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from istio_mesh import defaults
from istio_mesh.control_plane_spec import control_plane_spec
from istio_mesh.service_spec import mesh_service_spec
from mesh.analysis import check
from mesh.analysis.model import Inventory
from mesh.analysis.risks import risk_findings
from mesh.analysis.schemas import DEFAULT_GATEWAY_API_CRDS, default_experimental_crds, load_istio_schemas
from mesh.config import ConfigError, load
from mesh.environment import plan_environment
from mesh.offline import PROJECT_DIR, run_stack
from tests.conftest import service_args
from tests.route_outcomes import ALWAYS, VERSIONS

EXAMPLE = PROJECT_DIR / "examples" / "stacks" / "gateway-api-experimental.yaml"
P = "service-mesh:services"


def _experimental_crds() -> tuple[Path | None, str]:
    """The experimental channel's CRD folder: Go's module cache, else `go mod download`."""
    folder = default_experimental_crds()
    if folder.is_dir():
        return folder, ""
    go = shutil.which("go")
    if go is None:
        return None, f"experimental Gateway API CRDs not found at {folder}, and no `go` to download them"
    module = f"sigs.k8s.io/gateway-api@{defaults.GATEWAY_API.version}"
    try:
        out = subprocess.run([go, "mod", "download", "-json", module], capture_output=True, timeout=300, check=True)
        folder = Path(json.loads(out.stdout)["Dir"]) / "config" / "crd" / "experimental"
    except (subprocess.SubprocessError, OSError, ValueError, KeyError) as err:
        return None, f"experimental Gateway API CRDs not found, and `go mod download {module}` failed: {err}"
    return (folder, "") if folder.is_dir() else (None, f"no CRD folder at {folder} after `go mod download`")


@pytest.fixture(scope="module")
def experimental_crds() -> Path:
    folder, reason = _experimental_crds()
    if folder is None:
        pytest.skip(reason)
    return folder


def stack(channel: str | None = "experimental") -> dict[str, Any]:
    raw = yaml.safe_load(EXAMPLE.read_text())["config"]
    values = {k.split(":", 1)[1]: copy.deepcopy(v) for k, v in raw.items()}
    if channel is None:
        del values["istio"]["gateway_api"]["channel"]
    else:
        values["istio"]["gateway_api"]["channel"] = channel
    return values


def problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        plan_environment(load(values))
    return [(p.path, p.message) for p in err.value.problems]


def experimental_route(**extra: Any) -> dict[str, Any]:
    args = service_args(versions=VERSIONS, traffic_api="gateway-api", gateway_api_channel="experimental", **extra)
    (route,) = [m for m in mesh_service_spec("review", args).istio if m["kind"] == "HTTPRoute"]
    return route


def test_the_channel_defaults_to_standard_and_installs_that_channels_crds_of_the_pinned_release():
    assert defaults.GATEWAY_API.channel == "standard"
    standard = control_plane_spec({"traffic_api": "gateway-api", "gateway_api": {"install_crds": True}})
    assert standard.gateway_api_channel == "standard"
    assert standard.crd_files[0].file.endswith("/download/v1.5.1/standard-install.yaml")
    experimental = control_plane_spec(
        {"traffic_api": "gateway-api", "gateway_api": {"install_crds": True, "channel": "experimental"}}
    )
    assert experimental.crd_files[0].file == (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/experimental-install.yaml"
    )
    own = {"install_crds": True, "channel": "experimental", "crds_file": "vendor/experimental-install.yaml"}
    assert control_plane_spec({"gateway_api": own}).crd_files[0].file == "vendor/experimental-install.yaml"


def test_the_channel_is_refused_where_nothing_reads_it():
    values = stack()
    values["istio"] = {"gateway": values["istio"]["gateway"], "gateway_api": {"channel": "experimental"}}
    found = problems(values)
    assert [p for p, _ in found] == ["service-mesh:istio.gateway_api.channel"]
    assert "read only with `traffic_api: gateway-api`" in found[0][1]
    found = problems({**stack(), "istio": {"traffic_api": "gateway-api", "gateway_api": {"channel": "beta"}}})
    assert "experimental" in dict(found)["service-mesh:istio.gateway_api.channel"]


def test_a_services_channel_is_refused_without_the_gateway_api():
    with pytest.raises(ValueError, match=r"args\.gateway_api_channel: only with `traffic_api: gateway-api`"):
        mesh_service_spec("review", service_args(gateway_api_channel="experimental"))


def test_istiod_is_not_switched_to_alpha_gateway_apis_for_the_retry_field():
    spec = control_plane_spec({"traffic_api": "gateway-api", "gateway_api": {"channel": "experimental"}})
    istiod = next(r for r in spec.releases if r.key == "istiod")
    assert "PILOT_ENABLE_ALPHA_GATEWAY_API" not in istiod.values["pilot"].get("env", {})


def test_retries_compile_to_the_rules_retry_and_backend_request_timeout_and_only_where_set():
    retries = {"attempts": 3, "per_try_timeout": "1s", "retry_on": f"{ALWAYS},retriable-status-codes,503,retriable-4xx"}
    route = experimental_route(
        routes=[
            {"match": [{"uri_prefix": "/api"}], "retries": retries, "timeout": "5s"},
            {"match": [{"headers": {"x": {"exact": "1"}}}]},
            {"retries": {"attempts": 0}},
        ],
    )
    api, plain, off = route["spec"]["rules"]
    assert api["retry"] == {"attempts": 3, "codes": [503, 409]}
    assert api["timeouts"] == {"request": "5s", "backendRequest": "1s"}
    assert "retry" not in plain
    assert plain["timeouts"] == {"request": "15s"}
    assert off["retry"] == {"attempts": 0}
    assert "backendRequest" not in off["timeouts"]
    everywhere = experimental_route(retries={"attempts": 4})
    assert everywhere["spec"]["rules"][0]["retry"] == {"attempts": 4}
    assert everywhere["spec"]["rules"][0]["timeouts"]["backendRequest"] == defaults.RETRY.per_try_timeout


def test_every_retry_feature_the_experimental_channel_cannot_say_is_refused_at_its_key_path_all_at_once():
    values = stack()
    review = values["services"][1]
    review["retries"] = {"retry_on": "5xx"}
    review["routes"][0]["retries"] = {
        "attempts": 2,
        "per_try_timeout": "1.5s",
        "retry_on": "connect-failure,refused-stream,gateway-error,reset,302",
    }
    review["routes"][1]["retries"] = {"per_try_timeout": "6s"}
    found = problems(values)
    route0 = f"{P}[1].routes[0].retries"
    expected = {
        (f"{P}[1].retries.retry_on", "`5xx` also retries requests reset after they were sent"),
        (f"{P}[1].retries.retry_on", "add connect-failure, refused-stream, unavailable, cancelled"),
        (f"{route0}.retry_on", "`gateway-error` also retries"),
        (f"{route0}.retry_on", "write `502,503,504`"),
        (f"{route0}.retry_on", "'reset': Istio's HTTPRoute retries say only"),
        (f"{route0}.retry_on", "status code 302: HTTPRoute's `retry.codes` take 400 to 599"),
        (f"{route0}.retry_on", "add unavailable, cancelled"),
        (f"{route0}.per_try_timeout", "not a Gateway API duration"),
        (f"{P}[1].routes[1].retries.per_try_timeout", "the per-try timeout 6s outlasts the route's timeout 5s"),
    }
    for path, words in expected:
        assert any(p == path and words in m for p, m in found), (path, words, found)
    assert {p for p, _ in found} == {p for p, _ in expected}
    assert len(found) == 8  # one per problem: the `gateway-error` message names its own fix


def test_a_per_try_timeout_longer_than_the_timeout_it_inherits_is_refused_at_the_most_specific_key():
    values = stack()
    review = values["services"][1]
    review["routes"][1]["retries"] = {"attempts": 1}
    review["routes"][1]["timeout"] = "1s"
    assert [p for p, _ in problems(values)] == [f"{P}[1].routes[1].timeout"]
    values = stack()
    rating = values["services"][2]
    rating["retries"] = {"attempts": 1, "per_try_timeout": "20s"}
    assert [p for p, _ in problems(values)] == [f"{P}[2].retries.per_try_timeout"]
    rating["retries"] = {"attempts": 0, "per_try_timeout": "20s"}
    plan_environment(load(values))  # no tries to time


def test_the_standard_channel_refuses_retries_naming_both_ways_out():
    values = stack(channel=None)
    found = dict(problems(values))
    message = found[f"{P}[1].routes[0].retries"]
    assert "`istio.gateway_api.channel: experimental`" in message
    assert "`istio.default_retries`" in message
    assert list(found) == [f"{P}[1].routes[0].retries"]


@pytest.mark.parametrize("channel", ["standard", "experimental"])
def test_retries_on_a_grpc_route_are_refused_on_either_channel(channel):
    values = stack(channel)
    del values["services"][1]["routes"][0]["retries"]
    rating = values["services"][2]
    rating["ports"] = [{"port": 9090, "protocol": "grpc"}]
    rating["retries"] = {"attempts": 3}
    rating["routes"] = [{"retries": {"attempts": 1}}]
    found = dict(problems(values))
    assert set(found) == {f"{P}[2].retries", f"{P}[2].routes[0].retries"}
    assert "GRPCRoute has no retry field in either Gateway API channel" in found[f"{P}[2].retries"]


def test_http_route_timeouts_outside_gateway_apis_duration_grammar_are_refused_but_not_with_istio():
    values = stack()
    values["services"][0]["timeout"] = "1.5s"
    values["services"][1]["routes"][1]["timeout"] = "123456s"
    found = dict(problems(values))
    assert "not a Gateway API duration" in found[f"{P}[0].timeout"]
    assert "not a Gateway API duration" in found[f"{P}[1].routes[1].timeout"]
    values["istio"] = {"gateway": values["istio"]["gateway"]}
    for svc in values["services"]:
        svc.pop("retries", None)
    plan_environment(load(values))


def test_the_experimental_http_routes_pass_the_experimental_crds_schemas_and_cel_rules(experimental_crds):
    route = experimental_route(
        routes=[
            {
                "match": [{"headers": {"x": {"exact": "1"}}}],
                "destinations": [{"version": "v2"}],
                "retries": {"attempts": 3, "per_try_timeout": "1s", "retry_on": f"{ALWAYS},503,retriable-4xx"},
            },
            {"destinations": [{"version": "v1"}], "retries": {"attempts": 0}, "mirror": {"version": "v3"}},
        ]
    )
    inventory = Inventory.of_manifests([route])
    errors = [f for f in check(inventory, gateway_api_crds=experimental_crds) if f.code in ("MESH0001", "MESH0601")]
    assert errors == []
    schemas = load_istio_schemas(experimental_crds)
    assert ("gateway.networking.k8s.io/v1", "HTTPRoute") in schemas.kinds()
    assert schemas.cel_skipped == []  # every CEL rule of the folder is evaluated
    if DEFAULT_GATEWAY_API_CRDS.exists():
        standard = [f for f in check(inventory, gateway_api_crds=DEFAULT_GATEWAY_API_CRDS) if f.code == "MESH0001"]
        assert ["'retry' was unexpected" in f.message for f in standard] == [True, True]


def test_the_experimental_crds_cel_rule_refuses_a_per_try_timeout_longer_than_the_request(experimental_crds):
    route = experimental_route(retries={"attempts": 1, "per_try_timeout": "2s"})
    clean = check(Inventory.of_manifests([route]), gateway_api_crds=experimental_crds)
    assert [f for f in clean if f.code == "MESH0001"] == []
    cel, typed = copy.deepcopy(route), copy.deepcopy(route)
    cel["spec"]["rules"][0]["timeouts"]["backendRequest"] = "1m"
    typed["spec"]["rules"][0]["retry"]["codes"] = [302]
    for manifest, path, words in [
        (cel, "spec.rules.0.timeouts", "cannot be longer than request timeout"),
        (typed, "spec.rules.0.retry.codes.0", "302 is less than the minimum of 400"),
    ]:
        errors = {
            f.path: f.message for f in check(Inventory.of_manifests([manifest]), gateway_api_crds=experimental_crds)
        }
        assert words in errors[path]


@pytest.fixture(scope="module")
def example():
    return run_stack("gateway-api-experimental", stack_file=EXAMPLE)


def test_the_experimental_example_checks_clean_against_the_experimental_crds(example, experimental_crds, monkeypatch):
    assert example.gateway_api_channel == "experimental"
    monkeypatch.setenv("MESH_GATEWAY_API_EXPERIMENTAL_CRDS", os.fspath(experimental_crds))
    findings = [f for f in check(example, gateway_api_channel="experimental") if f.code != "MESH0002"]
    assert findings == []
    review = next(r for r in example.find("HTTPRoute") if r.inputs["metadata"]["name"] == "review")
    assert review.inputs["spec"]["rules"][0]["retry"] == {"attempts": 3, "codes": [503]}
    config_file = next(r for r in example.resources if r.type == "kubernetes:yaml/v2:ConfigFile")
    assert config_file.inputs["file"].endswith("/v1.5.1/experimental-install.yaml")


def test_check_says_where_to_find_missing_experimental_crds(example, tmp_path, monkeypatch):
    monkeypatch.setenv("MESH_GATEWAY_API_EXPERIMENTAL_CRDS", os.fspath(tmp_path / "absent"))
    (missing,) = [f for f in check(example, gateway_api_channel="experimental") if f.code == "MESH0601"]
    assert "experimental-channel CRDs not found" in missing.message
    assert "go mod download sigs.k8s.io/gateway-api@v1.5.1" in missing.fix


def test_retries_that_outlast_an_http_routes_timeout_are_found(example):
    review = next(r for r in example.find("HTTPRoute") if r.inputs["metadata"]["name"] == "review")
    assert [f for f in risk_findings(Inventory([review])) if f.code == "MESH0409"] == []
    slow = copy.deepcopy(review.inputs)
    slow["spec"]["rules"][0]["retry"]["attempts"] = 5
    findings = risk_findings(Inventory([dataclasses.replace(review, inputs=slow)]))
    assert [(f.code, f.path) for f in findings if f.code == "MESH0409"] == [("MESH0409", "spec.rules[0].retry")]


def test_check_reads_the_stacks_channel_unless_told_which_crds_to_use(experimental_crds, monkeypatch, capsys):
    from mesh.cli import main

    monkeypatch.setenv("MESH_GATEWAY_API_EXPERIMENTAL_CRDS", os.fspath(experimental_crds))
    assert main(["check", "--stack-file", os.fspath(EXAMPLE)]) == 0
    assert "MESH0601" not in capsys.readouterr().out
    if DEFAULT_GATEWAY_API_CRDS.exists():
        flags = ["--gateway-api-crds", os.fspath(DEFAULT_GATEWAY_API_CRDS)]
        assert main(["check", "--stack-file", os.fspath(EXAMPLE), *flags]) == 1
        assert "'retry' was unexpected" in capsys.readouterr().out
    assert main(["check", "--stack-file", os.fspath(EXAMPLE), "--gateway-api-crds", os.fspath(experimental_crds)]) == 0


def test_a_disabled_retry_policy_carries_neither_per_try_timeout_nor_conditions_which_istio_refuses():
    args = service_args(versions=VERSIONS, retries={"attempts": 0, "per_try_timeout": "1s"})
    (vs,) = [m for m in mesh_service_spec("review", args).istio if m["kind"] == "VirtualService"]
    assert vs["spec"]["http"][0]["retries"] == {"attempts": 0}
    spec = control_plane_spec({"traffic_api": "gateway-api", "default_retries": {"attempts": 0}})
    istiod = next(r for r in spec.releases if r.key == "istiod")
    assert istiod.values["meshConfig"]["defaultHttpRetryPolicy"] == {"attempts": 0}


@pytest.mark.parametrize("channel", [None, "experimental"])
def test_retry_conditions_istio_does_not_accept_are_refused_once_at_their_key(channel):
    values = stack(channel)
    if channel is None:
        values["istio"] = {"gateway": values["istio"]["gateway"]}  # the istio traffic API
    values["services"][1]["routes"][0]["retries"]["retry_on"] = f"{ALWAYS},5O3,599,internal-error"
    (problem,) = problems(values)
    assert problem[0] == f"{P}[1].routes[0].retries.retry_on"
    assert "'5O3', '599', 'internal-error': not a retry condition Istio accepts" in problem[1]

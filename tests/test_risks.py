"""Valid but dangerous configs: each a warning with its code, in `check` and in `pulumi preview`'s log."""

import json
from typing import Any

import pulumi
import pytest

from mesh.analysis import WARNING, check, preflight
from mesh.config import load
from mesh.environment import plan_environment
from mesh.offline import run, stack_config
from mesh.program import main
from tests.test_edges import P, dev, dev_services


def planned_codes(config: dict[str, str]) -> set[str]:
    """Warnings of the analysis the program runs before registering."""
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{P}:")}
    cfg = load(raw)
    return {f.code for f in preflight(plan_environment(cfg).inventory(), cfg.declared_calls)}


def preview_warnings(config: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What `pulumi preview` logs: the program runs and registers, and warns."""
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warned.append(message))
    result = run(lambda: main() or {}, config, "dev")
    assert result.find("Release")  # warnings do not stop the run
    return warned


def services_with(change: Any) -> dict[str, str]:
    services = dev_services()
    change(services)
    return dev(services=services)


def second_entry(services: list[dict[str, Any]]) -> None:
    services[1]["entry"] = True


def mirror_to_weighted(services: list[dict[str, Any]]) -> None:
    services[1]["versions"].append({"name": "v2", "image": "a/review:2"})
    services[1]["routes"] = [
        {
            "destinations": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10}],
            "mirror": {"version": "v2"},
        }
    ]


def override_host(services: list[dict[str, Any]]) -> None:
    services[0]["env"] = {"REVIEW_HOST": "review.elsewhere.svc.cluster.local"}


def no_replicas(services: list[dict[str, Any]]) -> None:
    services[2]["replicas"] = 0


def jwt_on_called(services: list[dict[str, Any]]) -> None:
    services[1]["jwt"] = {"issuer": "https://auth.example.com", "jwks_uri": "https://auth.example.com/jwks"}


def slow_retries(services: list[dict[str, Any]]) -> None:
    services[2]["timeout"] = "3s"
    services[2]["retries"] = {"attempts": 3, "per_try_timeout": "2s"}


def total_abort(services: list[dict[str, Any]]) -> None:
    services[2]["routes"] = [{"fault": {"abort_status": 503}}]


def no_entry(services: list[dict[str, Any]]) -> None:
    services[0]["entry"] = False


CASES = {
    "MESH0401": lambda: services_with(second_entry),
    "MESH0402": lambda: services_with(mirror_to_weighted),
    "MESH0403": lambda: services_with(no_entry),
    "MESH0404": lambda: dev(services=[]),
    "MESH0405": lambda: services_with(override_host),
    "MESH0406": lambda: services_with(no_replicas),
    "MESH0407": lambda: dev(namespace_mtls_mode="PERMISSIVE"),
    "MESH0408": lambda: services_with(jwt_on_called),
    "MESH0409": lambda: services_with(slow_retries),
    "MESH0410": lambda: services_with(total_abort),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_risky_config_is_a_warning_before_anything_registers(code):
    assert code in planned_codes(CASES[code]())
    assert code not in planned_codes(stack_config("dev"))


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_risky_config_is_logged_by_pulumi_preview_and_the_run_goes_on(code, monkeypatch):
    assert any(code in message for message in preview_warnings(CASES[code](), monkeypatch))


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_reports_each_risk_with_its_code_and_severity(code):
    config = CASES[code]()
    result = run(lambda: main() or {}, config, "dev")
    found = [f for f in check(result) if f.code == code]
    assert found and all(f.severity == WARNING and f.fix for f in found)


def test_the_real_stacks_carry_no_risk_warning():
    for stack in ("dev", "staging", "prod"):
        assert not {c for c in planned_codes(stack_config(stack)) if c.startswith("MESH04")}


def test_an_empty_services_list_is_accepted_and_installs_the_control_plane_only(monkeypatch):
    warned = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warned.append(message))
    result = run(lambda: main() or {}, dev(services=[]), "dev")
    assert not result.find("Deployment") and result.find("Release")
    assert any("MESH0404" in w for w in warned)
    assert json.loads(json.dumps(result.outputs["services"])) == {}


@pytest.mark.parametrize(("attempts", "warned"), [(2, False), (3, True)])
def test_retries_are_risky_only_when_every_try_cannot_fit_in_the_timeout(attempts, warned):
    """The first try and each retry, per_try_timeout each: 1 s x (2 + 1) fits in 3 s, x (3 + 1) does not."""

    def retries(services: list[dict[str, Any]]) -> None:
        services[2]["timeout"] = "3s"
        services[2]["retries"] = {"attempts": attempts, "per_try_timeout": "1s"}

    assert ("MESH0409" in planned_codes(services_with(retries))) is warned

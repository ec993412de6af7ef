"""`check` for CI: SARIF 2.1.0 beside text and JSON, and a --fail-on threshold."""

import json

import yaml

from mesh.analysis import RULES
from mesh.cli import main
from mesh.offline import PROJECT_DIR


def open_stack(tmp_path):
    """The dev stack without default-deny, plus a service nobody calls: no policy covers it."""
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    # Nothing covers the new workload: KIA1301 (a warning) and MESH0202 (an error) name it.
    stack["config"]["service-mesh:default_deny"] = False
    stack["config"]["service-mesh:services"].append(
        {"name": "audit", "ports": [{"port": 80}], "versions": [{"name": "v1", "image": "a:1"}]}
    )
    (tmp_path / "Pulumi.open.yaml").write_text(yaml.safe_dump(stack))
    return tmp_path


def test_sarif_is_one_run_with_every_rule_and_each_result_at_its_object_and_path(tmp_path, capsys):
    project = open_stack(tmp_path)
    code = main(["--project-dir", str(project), "check", "open", "--format", "sarif"])
    log = json.loads(capsys.readouterr().out)
    assert code == 1 and log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    assert all(r["defaultConfiguration"]["level"] in ("error", "warning", "note") for r in rules)
    assert run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        (location,) = result["locations"][0]["logicalLocations"]
        assert location["fullyQualifiedName"].startswith(result["properties"]["object"])
        if result["properties"]["path"]:
            assert location["fullyQualifiedName"].endswith(result["properties"]["path"])
    assert {"MESH0202", "KIA1301"} <= {r["ruleId"] for r in run["results"]}


def test_sarif_of_a_clean_stack_has_no_results_and_exits_zero(capsys):
    assert main(["check", "prod", "--format", "sarif"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert [r["ruleId"] for r in run["results"] if r["ruleId"] != "MESH0002"] == ["MESH0503"]  # its TLS secret


def test_fail_on_warning_fails_on_warnings_and_the_default_does_not(tmp_path, capsys):
    project = tmp_path
    (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    # Two versions in PERMISSIVE mode: MESH0407 is a warning, and there is no error.
    stack["config"]["service-mesh:istio"] = {**stack["config"].get("service-mesh:istio", {}), "mtls_mode": "PERMISSIVE"}
    (project / "Pulumi.warn.yaml").write_text(yaml.safe_dump(stack))
    assert main(["--project-dir", str(project), "check", "warn"]) == 0
    out = capsys.readouterr().out
    assert "MESH0407" in out and "0 errors" in out
    assert main(["--project-dir", str(project), "check", "warn", "--fail-on", "warning"]) == 1


def test_text_and_json_count_infos_apart(capsys):
    assert main(["check", "dev", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {"errors", "warnings", "infos"} <= set(document)
    assert main(["check", "dev"]) == 0
    assert "0 infos" in capsys.readouterr().out


def test_alpha_annotations_are_reported_as_notes_only_when_asked_for(capsys):
    assert main(["check", "dev", "--format", "sarif", "--alpha-annotations"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    alpha = [r for r in run["results"] if r["ruleId"] == "IST0136"]
    assert alpha and {r["level"] for r in alpha} == {"note"}

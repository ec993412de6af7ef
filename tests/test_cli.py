"""`python -m mesh`: render and errors as a user meets them."""

import gc
import json
import runpy
import subprocess
import sys

import pytest

from mesh.cli import main
from mesh.offline import PROJECT_DIR


def test_render_writes_the_stack_and_prints_a_summary(tmp_path, capsys):
    assert main(["render", "staging", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Rendered stack 'staging'" in out and "review" in out and "total" in out
    assert (tmp_path / "review" / "destinationrule-review.yaml").exists()


def test_an_unknown_stack_names_the_stacks_there(capsys):
    assert main(["render", "qa"]) == 2
    err = capsys.readouterr().err
    assert "no stack 'qa'" in err and "dev, prod, staging" in err


def test_bad_config_is_a_short_error_with_exit_code_2(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.bad.yaml").write_text(
        "config:\n  service-mesh:istio: {revison: x}\n  service-mesh:services: []\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mesh", "--project-dir", str(tmp_path), "render", "bad", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert done.returncode == 2
    assert "service-mesh:istio.revison: unknown key (did you mean 'revision'?)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_command_line_switches_off_the_automatic_collector_as_the_program_does(tmp_path, monkeypatch):
    thresholds = gc.get_threshold()
    assert gc.isenabled()
    monkeypatch.setattr(sys, "argv", ["mesh", "render", "dev", "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("mesh", run_name="__main__")
    assert done.value.code == 0
    assert not gc.isenabled()
    assert gc.get_threshold() == thresholds


def test_library_code_leaves_the_collector_alone(tmp_path):
    assert main(["render", "dev", "--out", str(tmp_path / "out")]) == 0
    assert gc.isenabled()


def project_with(tmp_path, stack_text: str, name: str = "edge"):
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / f"Pulumi.{name}.yaml").write_text(stack_text)
    return tmp_path


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mesh", *args], capture_output=True, text=True, cwd=PROJECT_DIR)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- just\n- a list\n", "Pulumi.edge.yaml: expected a mapping of keys, got list"),
        ("config:\n  service-mesh:namespace: [unclosed\n", "Pulumi.edge.yaml:3:"),
        ("config: [1, 2]\n", "`config` must be a mapping"),
        (
            "config:\n  service-mesh:istio: {}\n  service-mesh:namespace:\n    secure: AAAA\n"
            "  service-mesh:services: []\n",
            "service-mesh:namespace: is a secret, but only env values of services",
        ),
    ],
)
def test_a_malformed_stack_file_is_one_line_naming_the_file(tmp_path, text, expected):
    project = project_with(tmp_path, text)
    done = cli("--project-dir", str(project), "render", "edge", "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert expected in done.stderr, done.stderr


def test_a_misspelt_top_level_key_with_a_plain_value_gets_a_did_you_mean(tmp_path):
    stack = (PROJECT_DIR / "Pulumi.dev.yaml").read_text().replace("service-mesh:namespace:", "service-mesh:namespce:")
    done = cli("--project-dir", str(project_with(tmp_path, stack)), "check", "edge")
    assert done.returncode == 2
    assert "service-mesh:namespce: unknown key (did you mean 'namespace'?)" in done.stderr


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--kubernetes-version", "1.99"], "--kubernetes-version '1.99': allowed: 1.25.0"),
        (["--kubernetes-version", "banana"], "--kubernetes-version 'banana'"),
        (["--crds", "README.md"], "--crds: README.md: not a readable YAML file"),
        (["--crds", "Pulumi.yaml"], "--crds: Pulumi.yaml: holds no CustomResourceDefinition"),
        (["--crds", "/missing/crds.yaml"], "--crds: /missing/crds.yaml: no such file or folder"),
        (["--gateway-api-crds", "examples"], "--gateway-api-crds: examples: holds no CustomResourceDefinition"),
        (["--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_bad_check_flags_are_clear_errors_with_exit_code_2(flags, expected):
    done = cli("check", "dev", *flags)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert expected in done.stderr, done.stderr


def test_check_json_prints_one_document_with_the_config_problems(tmp_path):
    stack = (PROJECT_DIR / "Pulumi.dev.yaml").read_text().replace("namespace: shop-dev", "namespace: kube-system")
    done = cli("--project-dir", str(project_with(tmp_path, stack)), "check", "edge", "--format", "json")
    assert done.returncode == 2 and done.stderr == ""
    document = json.loads(done.stdout)
    (problem,) = document["findings"]
    assert problem["code"] == "MESH0003" and problem["path"] == "service-mesh:namespace"
    assert document["errors"] == 1


def test_check_json_reports_a_bad_flag_as_a_document_too():
    done = cli("check", "dev", "--format", "json", "--crds", "/missing/crds.yaml")
    assert done.returncode == 2
    assert json.loads(done.stdout)["findings"][0]["message"] == "--crds: /missing/crds.yaml: no such file or folder"


def test_render_replaces_the_stack_s_folder_and_leaves_no_stale_file(tmp_path):
    out = tmp_path / "out"
    assert main(["render", "dev", "--out", str(out)]) == 0
    stale = out / "review" / "deployment-review-v0.yaml"
    stale.write_text("left over\n")
    assert main(["render", "dev", "--out", str(out)]) == 0
    assert not stale.exists() and (out / "review" / "deployment-review-v1.yaml").exists()


def test_render_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine\n")
    assert main(["render", "dev", "--out", str(tmp_path)]) == 2
    assert (tmp_path / "notes.txt").exists()
    assert "was not written by render" in capsys.readouterr().err


def test_a_stack_name_that_is_a_path_is_refused():
    done = cli("render", "../etc")
    assert done.returncode == 2 and "stack name '../etc'" in done.stderr


def test_the_readme_s_generated_tables_are_current():
    from mesh.readme import with_sections

    text = (PROJECT_DIR / "README.md").read_text()
    assert with_sections(text) == text, "run: python -m mesh docs"

"""`python -m mesh`: render and errors as a user meets them."""

import gc
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

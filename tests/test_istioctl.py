"""`check --istioctl`: Istio's own analyzer beside ours, its messages merged by code and object."""

import copy
import json
import os
import stat
from pathlib import Path

import pytest

from mesh.analysis import check
from mesh.cli import main
from mesh.istioctl import IstioctlError, as_findings, istioctl_findings, merged

CACHED = sorted(Path.home().glob(".cache/service-mesh-e2e/istioctl-*/istioctl"))
REAL = Path(os.environ.get("MESH_ISTIOCTL") or (CACHED[-1] if CACHED else "/nonexistent/istioctl"))
needs_istioctl = pytest.mark.skipif(
    not REAL.is_file(), reason=f"no istioctl at {REAL}: build it with e2e/build-tools.sh or set MESH_ISTIOCTL"
)


def fake_istioctl(tmp_path: Path, report: object, code: int = 0) -> Path:
    """A stand-in that prints ``report`` as istioctl's JSON, and records its arguments."""
    script = tmp_path / "istioctl"
    script.write_text(
        f"#!/bin/sh\necho \"$@\" > {tmp_path}/args\ncat <<'EOF'\n{json.dumps(report)}\nEOF\nexit {code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


MESSAGES = [
    {"code": "IST0101", "level": "Error", "origin": "VirtualService shop-dev/review", "message": "subset not found"},
    {
        "code": "IST0133",
        "level": "Warning",
        "origin": "AuthorizationPolicy shop-dev/x",
        "message": "m",
        "documentationUrl": "https://istio.io/ist0133",
    },
]


def test_istioctl_messages_become_findings_and_ours_are_not_repeated(stacks, tmp_path):
    theirs = istioctl_findings(stacks["dev"], fake_istioctl(tmp_path, MESSAGES))
    assert [(f.code, f.severity, f.object) for f in theirs] == [
        ("IST0101", "error", "VirtualService/shop-dev/review"),
        ("IST0133", "warning", "AuthorizationPolicy/shop-dev/x"),
    ]
    assert theirs[1].fix == "see https://istio.io/ist0133" and theirs[1].message == "istioctl: m"
    args = (tmp_path / "args").read_text()
    assert "--use-kube=false" in args and "--all-namespaces" in args
    ours = [f for f in as_findings(MESSAGES[:1])]
    assert [f.code for f in merged(ours, theirs)] == ["IST0101", "IST0133"]


def test_istioctl_that_prints_no_report_is_an_input_error(stacks, tmp_path, capsys):
    bad = fake_istioctl(tmp_path, "not json", code=3)
    bad.write_text("#!/bin/sh\necho boom >&2\nexit 3\n")
    with pytest.raises(IstioctlError, match="exited 3: boom"):
        istioctl_findings(stacks["dev"], bad)
    assert main(["check", "dev", "--istioctl", str(bad)]) == 2
    assert main(["check", "dev", "--istioctl", str(tmp_path / "missing")]) == 2
    assert "--istioctl" in capsys.readouterr().err


@needs_istioctl
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_real_istioctl_finds_nothing_in_the_real_stacks(stacks, stack):
    assert istioctl_findings(stacks[stack], REAL) == []


@needs_istioctl
def test_the_real_istioctl_and_ours_give_the_same_code_for_a_missing_subset(stacks):
    run = copy.deepcopy(stacks["dev"])
    (vs,) = [r for r in run.find("VirtualService", "review")]
    vs.inputs["spec"]["http"][0]["route"][0]["destination"]["subset"] = "v9"
    theirs = {(f.code, f.object) for f in istioctl_findings(run, REAL)}
    ours = {(f.code, f.object) for f in check(run)}
    assert ("IST0101", "VirtualService/shop-dev/review") in theirs & ours

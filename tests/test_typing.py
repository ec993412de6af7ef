"""Past validation the arguments keep their types: a key misspelt in a spec builder is a
type error under mypy, not a silently missing value. (A misspelt ``.get`` key is caught
where its value is used: mypy types it ``object``.)"""

import shutil
from pathlib import Path

import pytest
from mypy import api

import istio_mesh

PACKAGE = Path(istio_mesh.__file__).parent

TYPOS = [
    # (module, a fragment as written, the same fragment misspelt, the argument type the error names)
    ("service_spec.py", 'v in args["versions"])', 'v in args["versons"])', "MeshServiceArgs"),
    ("control_plane_spec.py", 'args.get("gateway_api", {})', 'args.get("gateway_apis", {})', "IstioControlPlaneArgs"),
    ("gateway_api_spec.py", 'mirror["version"]', 'mirror["verison"]', "MirrorArgs"),
    ("routing_spec.py", 'tp.get("connection_pool")', 'tp.get("connection_pools")', "TrafficPolicyArgs"),
]


def _errors(tmp_path: Path, module: str | None = None, old: str = "", new: str = "") -> list[str]:
    """mypy --strict's errors on a copy of the package, with one edit."""
    copy = tmp_path / "istio_mesh"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    if module is not None:
        source = (copy / module).read_text()
        assert old in source, f"{module} no longer has {old!r}: update this test"
        (copy / module).write_text(source.replace(old, new, 1))
    # Pulumi and the grammars' RE2 are skipped: the argument types are the package's own.
    out, _, _ = api.run(["--strict", "--follow-imports=skip", "--no-incremental", "--no-error-summary", str(copy)])
    # What skipping them costs: Pulumi's base classes read as Any, RE2 as untyped.
    skipped = ("Class cannot subclass", '"re2"', "missing-imports")
    return [line for line in out.splitlines() if ": error:" in line and not any(s in line for s in skipped)]


def test_the_package_as_written_type_checks_clean(tmp_path):
    assert _errors(tmp_path) == []


@pytest.mark.parametrize(("module", "old", "new", "argument"), TYPOS, ids=[t[0] for t in TYPOS])
def test_a_misspelt_argument_key_in_a_spec_builder_is_a_type_error(tmp_path, module, old, new, argument):
    errors = _errors(tmp_path, module, old, new)
    assert [e for e in errors if f"/{module}:" in e], errors
    if "[" in old:  # an index names the argument type
        assert any(argument in e for e in errors), errors

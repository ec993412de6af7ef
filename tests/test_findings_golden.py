"""Golden snapshots of what the analysis reports, word for word: for each broken fixture of
the analyzers' cases, each risky config, and each real stack, every finding with its code,
severity, object, path, message and fix. The cases' own tests say that a code fires; these
say what a user then reads. ``MESH_UPDATE_GOLDEN=1`` rewrites them (tests/test_golden.py)."""

from typing import Any

from mesh.analysis import Inventory, check, preflight
from mesh.analysis.findings import ordered
from mesh.config import load
from mesh.environment import plan_environment
from tests.test_analyzers import CASES as ANALYZER_CASES
from tests.test_analyzers import lab
from tests.test_edges import P
from tests.test_golden import matches_golden
from tests.test_risks import CASES as RISK_CASES


def test_each_analyzer_case_reports_exactly_its_golden_findings(stacks):
    base = stacks["dev"]
    out: dict[str, list[dict[str, str]]] = {}
    for code, (broken, _clean) in sorted(ANALYZER_CASES.items()):
        inventory = Inventory(list(base.resources) + Inventory.of_manifests(broken(lab())).resources)
        found = ordered(check(inventory, declared=base.declared_calls))
        out[code] = [f.as_dict() for f in found if f.code == code]
        assert out[code], f"{code}: its broken fixture reports nothing"
    matches_golden("findings-analyzers", out)


def test_each_risky_config_reports_exactly_its_golden_findings():
    out: dict[str, list[dict[str, str]]] = {}
    for code, config in sorted(RISK_CASES.items()):
        raw = {k.split(":", 1)[1]: v for k, v in config().items() if k.startswith(f"{P}:")}
        cfg = load(raw)
        found = ordered(preflight(plan_environment(cfg).inventory(), cfg.declared_calls))
        out[code] = [f.as_dict() for f in found]
        assert any(f.code == code for f in found), f"{code}: its config reports nothing"
    matches_golden("findings-risks", out)


def test_each_real_stack_reports_exactly_its_golden_findings(stacks):
    out: dict[str, Any] = {}
    for name, result in sorted(stacks.items()):
        out[name] = [f.as_dict() for f in ordered(check(result, declared=result.declared_calls))]
    matches_golden("findings-stacks", out)

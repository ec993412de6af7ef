"""The results table of the last mutation run: one row per module, then the survivors.

Usage (after ``bash mutation/run.sh``): ``.venv/bin/python mutation/table.py [--survivors]``.
Reads mutmut's own result files (``mutation/work/mutants/**/*.py.meta``). A mutant killed by
a failing test or by a timeout counts as killed; one that no test reaches ("no tests"),
a survivor and a suspicious one count against the score.
"""

import argparse
import json
import math
from collections import Counter
from pathlib import Path

MUTANTS = Path(__file__).resolve().parent / "work" / "mutants"
KILLED = {1, 3}
TIMEOUT = {24, -24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


def status(exit_code: int | None) -> str:
    if exit_code in KILLED:
        return "killed"
    if exit_code in TIMEOUT:
        return "timeout"
    if exit_code in SURVIVED:
        return "survived"
    if exit_code in NO_TESTS:
        return "no tests"
    return "not checked" if exit_code is None else "suspicious"


def results(root: Path = MUTANTS) -> dict[str, dict[str, str]]:
    """{module file: {mutant: status}} for every mutated file."""
    out = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            out[str(meta.relative_to(root))[: -len(".meta")]] = {k: status(v) for k, v in codes.items()}
    return out


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a share ``killed / n`` measured on a random sample."""
    if n == 0:
        return 0.0, 1.0
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def group_of(module: str) -> str:
    """The part of the core rules a mutated file belongs to."""
    if module.startswith("mesh/analysis/"):
        return "analysis"
    return "spec builders" if module.endswith("_spec.py") else "validation"


def sampled(by_module: dict[str, dict[str, str]]) -> None:
    """One row per group of modules: mutants, how many the sample checked, and the score
    over those with its 95% interval (the sample is uniform: mutation/sample.py)."""
    print("| group | mutants | checked | killed | timeout | survived | no tests | score | 95% interval |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    strata: list[tuple[int, int, int]] = []
    for group in ("validation", "spec builders", "analysis"):
        c: Counter[str] = Counter()
        for module, mutants in by_module.items():
            if group_of(module) == group:
                c.update(mutants.values())
        n = sum(c.values())
        checked = n - c["not checked"]
        killed = c["killed"] + c["timeout"]
        low, high = wilson(killed, checked)
        score = killed / checked if checked else 0.0
        print(
            f"| {group} | {n} | {checked} | {c['killed']} | {c['timeout']} | {c['survived']} | {c['no tests']} "
            f"| **{score:.1%}** | {low:.1%} to {high:.1%} |"
        )
        strata.append((n, checked, killed))
    total = sum(n for n, _, _ in strata)
    if total and all(checked for _, checked, _ in strata):
        # The whole scope, each group weighted by its size (a stratified sample).
        share = sum(n / total * killed / checked for n, checked, killed in strata)
        var = sum(
            (n / total) ** 2 * (killed / checked) * (1 - killed / checked) / checked for n, checked, killed in strata
        )
        half = 1.96 * math.sqrt(var)
        checked_all = sum(checked for _, checked, _ in strata)
        print(
            f"| **all three, weighted by size** | {total} | {checked_all} | | | | | **{share:.1%}** "
            f"| {max(0.0, share - half):.1%} to {min(1.0, share + half):.1%} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--survivors", action="store_true", help="list the mutants not killed")
    parser.add_argument(
        "--sampled",
        action="store_true",
        help="score each group over the mutants checked, with its 95%% interval (for a sampled run)",
    )
    args = parser.parse_args()
    by_module = results()
    if args.sampled:
        sampled(by_module)
        if args.survivors:
            print()
            for mutants in by_module.values():
                for name, s in mutants.items():
                    if s not in ("killed", "timeout", "not checked"):
                        print(f"{s}: {name}")
        return
    total: Counter[str] = Counter()
    print("| module | mutants | killed | timeout | survived | no tests | score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for module, mutants in by_module.items():
        c = Counter(mutants.values())
        total.update(c)
        n = len(mutants)
        score = (c["killed"] + c["timeout"]) / n
        print(
            f"| `{module}` | {n} | {c['killed']} | {c['timeout']} | {c['survived']} | {c['no tests']} | {score:.1%} |"
        )
    n = sum(total.values())
    if n:
        score = (total["killed"] + total["timeout"]) / n
        print(
            f"| **total** | **{n}** | {total['killed']} | {total['timeout']} | {total['survived']} "
            f"| {total['no tests']} | **{score:.1%}** |"
        )
    other = {s: k for s, k in total.items() if s not in ("killed", "timeout", "survived", "no tests")}
    if other:
        print(f"\nalso: {other}")
    if args.survivors:
        print()
        for mutants in by_module.values():
            for name, s in mutants.items():
                if s not in ("killed", "timeout"):
                    print(f"{s}: {name}")


if __name__ == "__main__":
    main()

"""The results table of the last mutation run: one row per module, then the survivors.

Usage (after ``bash mutation/run.sh``): ``.venv/bin/python mutation/table.py [--survivors]``.
Reads mutmut's own result files (``mutation/work/mutants/**/*.py.meta``). A mutant killed by
a failing test or by a timeout counts as killed; one that no test reaches ("no tests"),
a survivor and a suspicious one count against the score.
"""

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--survivors", action="store_true", help="list the mutants not killed")
    args = parser.parse_args()
    by_module = results()
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

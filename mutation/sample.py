"""The mutants of a scope in a seeded random order, for a run that samples them.

Usage (after mutmut has generated the mutants, i.e. after any ``bash mutation/run.sh``)::

    .venv/bin/python mutation/sample.py --seed 2026 'istio_mesh/*_spec.py' 'mesh/analysis/*.py'

prints one mutant name a line. Running the first N of them (``bash mutation/run.sh --keep
NAME…``, in batches) tests a uniform random sample of the scope: its score estimates the
scope's, with the margin ``mutation/table.py --sampled`` prints. Mutants that already have a
result come first (so a run can be resumed and grown without losing its randomness).
"""

import argparse
import json
import random
from pathlib import Path

MUTANTS = Path(__file__).resolve().parent / "work" / "mutants"


def names(patterns: list[str], root: Path = MUTANTS) -> list[str]:
    """Every mutant of the files matching ``patterns`` (globs relative to the scratch copy)."""
    out: list[str] = []
    for pattern in patterns:
        for meta in sorted(root.glob(f"{pattern}.meta")):
            out += sorted(json.loads(meta.read_text())["exit_code_by_key"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("patterns", nargs="+", help="file globs, such as 'mesh/analysis/*.py'")
    args = parser.parse_args()
    order = names(args.patterns)
    random.Random(args.seed).shuffle(order)
    print("\n".join(order))


if __name__ == "__main__":
    main()

"""The mutants of a scope in a seeded random order, for a run that samples them.

Usage (after mutmut has generated the mutants, i.e. after any ``bash mutation/run.sh``)::

    .venv/bin/python mutation/sample.py --seed 2026 'istio_mesh/*.py' 'mesh/analysis/*.py'

prints one mutant name a line. Running the first N of them (``bash mutation/run.sh --keep
NAME…``, in batches: ``mutation/sample.sh``) tests a uniform random sample of the scope,
and of each of its parts: their scores estimate the parts', with the 95% interval
``mutation/table.py --sampled`` prints. Mutants that already have a result come first, so a
run can be stopped, resumed and grown without losing its randomness.
"""

import argparse
import json
import random
from pathlib import Path

MUTANTS = Path(__file__).resolve().parent / "work" / "mutants"


def names(patterns: list[str], root: Path = MUTANTS) -> dict[str, bool]:
    """Every mutant of the files matching ``patterns`` (globs relative to the scratch copy),
    and whether it already has a result."""
    out: dict[str, bool] = {}
    for pattern in patterns:
        for meta in sorted(root.glob(f"{pattern}.meta")):
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            out |= {name: codes[name] is not None for name in sorted(codes)}
    return out


def order(mutants: dict[str, bool], seed: int) -> list[str]:
    """Those with a result first, then the others; each part in the seed's random order."""
    shuffled = sorted(mutants)
    random.Random(seed).shuffle(shuffled)
    return [n for n in shuffled if mutants[n]] + [n for n in shuffled if not mutants[n]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--unchecked", action="store_true", help="only the mutants without a result yet")
    parser.add_argument("patterns", nargs="+", help="file globs, such as 'mesh/analysis/*.py'")
    args = parser.parse_args()
    mutants = names(args.patterns)
    print("\n".join(n for n in order(mutants, args.seed) if not (args.unchecked and mutants[n])))


if __name__ == "__main__":
    main()

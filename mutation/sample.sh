#!/usr/bin/env bash
# A sampled mutation run (mutation/README.md): the mutants of the scope in a seeded random
# order, tested in batches until stopped (or all are done); stop it any time, run it again to
# go on. The score of what is done estimates the whole: `.venv/bin/python mutation/table.py --sampled`.
# Usage: bash mutation/sample.sh [--fresh]   (--fresh: new mutants and stats from the work tree first)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
if [[ "${1:-}" == "--fresh" || ! -d "$ROOT/mutation/work/mutants" ]]; then
  # Generates every mutant and collects which tests reach each function; tests none.
  bash "$ROOT/mutation/run.sh" --fresh "none-at-all" >/dev/null 2>&1 || true
fi
order="$ROOT/mutation/work/order.txt"
while true; do
  "$PY" "$ROOT/mutation/sample.py" --unchecked 'istio_mesh/*.py' 'mesh/analysis/*.py' >"$order"
  batch=$(head -n 100 "$order")
  [[ -z "$batch" ]] && break
  # shellcheck disable=SC2086 # one argument per mutant name
  bash "$ROOT/mutation/run.sh" --keep $batch >/dev/null 2>&1 || true
  "$PY" "$ROOT/mutation/table.py" --sampled | tail -n 3
done

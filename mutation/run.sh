#!/usr/bin/env bash
# Mutation testing of the core rule modules (issue #14; not in CI). See mutation/README.md.
# Usage: bash mutation/run.sh [--fresh | --keep] [mutant names or globs...]   e.g. "istio_mesh.grammar*" for one module
# --fresh throws away the results of earlier runs (the table in the README is from a fresh run).
# Runs in mutation/work/, a scratch copy of the work tree with components/istio_mesh laid
# at the top as istio_mesh/, because mutmut names a mutant by its file's path and the
# tests import `istio_mesh`. The results stay in mutation/work/mutants/ (not in git).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$ROOT/mutation/work"
MUTMUT="${MUTMUT:-$ROOT/.venv/bin/mutmut}"
# --keep measures the scratch copy as it is (the same snapshot over several runs, such as the
# batches of a sampled run: mutation/sample.py), while the work tree changes.
if [[ "${1:-}" == "--keep" ]]; then shift; cd "$WORK"; exec nice -n 10 "$MUTMUT" run --max-children 2 "$@"; fi
if [[ "${1:-}" == "--fresh" ]]; then shift; rm -rf "$WORK"; fi
mkdir -p "$WORK"
# Keep mutants/ (mutmut's results and cache) between runs; refresh everything else.
find "$WORK" -mindepth 1 -maxdepth 1 ! -name mutants -exec rm -rf {} +
tar -C "$ROOT" --exclude=./.git --exclude=./.venv --exclude=./mutation/work --exclude=./mutants \
    --exclude=./rendered --exclude=__pycache__ --exclude='*.egg-info' --exclude=./components/build \
    --exclude=.pytest_cache --exclude=.mypy_cache --exclude=.ruff_cache --exclude=.hypothesis \
    -cf - . | tar -C "$WORK" -xf -
cp -r "$WORK/components/istio_mesh" "$WORK/istio_mesh"
# The analysis and the tests look for Istio's CRDs and charts in shared/ beside the project.
ln -sfn "$(cd "$ROOT/.." && pwd)/shared" "$WORK/shared"
cd "$WORK"
exec nice -n 10 "$MUTMUT" run --max-children 2 "$@"

#!/usr/bin/env bash
# End-to-end run of the real program on a throw-away loopback cluster:
#   package the Istio charts (../shared/istio/charts) and serve them on 127.0.0.1,
#   e2e/cluster.sh up, e2e/e2e_run.py run (the checks), and always: stop the chart
#   server, cluster.sh down, delete the temp folders.
#
#   e2e/run.sh [extra e2e_run.py run flags, e.g. -v --no-second-up]
#
# Exit 0 when every check passed, 1 when any failed (or the run could not start).
# Without the tool cache (e2e/build-tools.sh) it prints SKIP and exits 0, unless
# MESH_E2E_REQUIRED=1. Settings: MESH_E2E_CACHE, MESH_E2E_PYTHON (default .venv/bin/python),
# MESH_E2E_CHARTS (chart folders), MESH_E2E_CHART_PORT (default 26490),
# MESH_E2E_TIMEOUT (seconds for the driver, default 1800), plus cluster.sh's
# MESH_E2E_PORT_BASE / MESH_E2E_UP_TIMEOUT. MESH_E2E_CLUSTER_DIR defaults to a temp folder.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
CACHE=${MESH_E2E_CACHE:-$HOME/.cache/service-mesh-e2e}
PY=${MESH_E2E_PYTHON:-$ROOT/.venv/bin/python}
CHARTS=${MESH_E2E_CHARTS:-$ROOT/../shared/istio/charts}
CHART_PORT=${MESH_E2E_CHART_PORT:-26490}
TIMEOUT=${MESH_E2E_TIMEOUT:-1800}

log() { printf '[run] %s\n' "$*" >&2; }

skip() {
    if [ "${MESH_E2E_REQUIRED:-0}" = 1 ]; then
        log "FAIL (MESH_E2E_REQUIRED=1): $*"
        exit 1
    fi
    log "SKIP: $*"
    exit 0
}

[ -f "$CACHE/env.sh" ] || skip "no tool cache at $CACHE (build it with e2e/build-tools.sh)"
# shellcheck disable=SC1091
. "$CACHE/env.sh"
for v in MESH_E2E_PULUMI MESH_E2E_PULUMI_RESOURCE_KUBERNETES MESH_E2E_KUBE_APISERVER MESH_E2E_ETCD MESH_E2E_KWOK; do
    [ -x "${!v:-}" ] || skip "tool cache incomplete: \$$v is not an executable (run e2e/build-tools.sh)"
done
[ -x "$PY" ] || skip "no Python at $PY (create .venv with requirements-dev.txt, or set MESH_E2E_PYTHON)"
for c in base istiod gateway; do
    [ -f "$CHARTS/$c/Chart.yaml" ] || skip "no chart $CHARTS/$c"
done

T0=$(date +%s)
TMP=$(mktemp -d /tmp/mesh-e2e-runsh.XXXXXX)
export MESH_E2E_CLUSTER_DIR=${MESH_E2E_CLUSTER_DIR:-$TMP/cluster}
SERVER_PID=
CLUSTER_STARTED=0

cleanup() {
    local rc=$?
    set +e
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$SERVER_PID" 2>/dev/null
    fi
    [ "$CLUSTER_STARTED" = 1 ] && "$HERE/cluster.sh" down >&2
    rm -rf "$TMP"
    log "wall time $(($(date +%s) - T0))s"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "packaging charts from $CHARTS"
"$PY" "$HERE/e2e_run.py" package --charts "$CHARTS" --out "$TMP/charts" >&2
if (exec 3<>"/dev/tcp/127.0.0.1/$CHART_PORT") 2>/dev/null; then
    log "port 127.0.0.1:$CHART_PORT is in use (set MESH_E2E_CHART_PORT)"
    exit 1
fi
"$PY" -m http.server "$CHART_PORT" --bind 127.0.0.1 --directory "$TMP/charts" >"$TMP/chart-server.log" 2>&1 &
SERVER_PID=$!
REPO=http://127.0.0.1:$CHART_PORT
for _ in $(seq 1 40); do
    curl -fsS --max-time 2 "$REPO/index.yaml" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { log "chart server exited: $(cat "$TMP/chart-server.log")"; exit 1; }
    sleep 0.25
done
curl -fsS --max-time 2 "$REPO/index.yaml" >/dev/null || { log "chart server does not answer on $REPO"; exit 1; }
log "chart repository $REPO"

CLUSTER_STARTED=1
UP=$("$HERE/cluster.sh" up)
eval "$UP"
log "cluster up: KUBECONFIG=$KUBECONFIG"

rc=0
timeout -k 30 "$TIMEOUT" "$PY" "$HERE/e2e_run.py" run --kubeconfig "$KUBECONFIG" --chart-repo "$REPO" \
    --pulumi "$MESH_E2E_PULUMI" --provider "$MESH_E2E_PULUMI_RESOURCE_KUBERNETES" \
    --provider-version "${MESH_E2E_K8S_PLUGIN_VERSION:-4.34.2}" "$@" || rc=$?
[ "$rc" = 124 ] && log "the driver timed out after ${TIMEOUT}s"
exit "$rc"

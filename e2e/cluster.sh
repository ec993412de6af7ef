#!/usr/bin/env bash
# A throw-away Kubernetes cluster on loopback only, from the binaries e2e/build-tools.sh built:
# etcd + kube-apiserver (admission webhooks and admission policies off) + kube-controller-manager
# + kube-scheduler + kwok (fake nodes, pods marked Running; no container runtime).
#
#   e2e/cluster.sh up       # start (bounded wait), print `export KUBECONFIG=...`
#   e2e/cluster.sh status   # which processes run, is the API server ready
#   e2e/cluster.sh smoke    # create a namespace + Deployment, wait available, delete, wait gone
#   e2e/cluster.sh down     # stop every process it started (by pid) and delete its folder
#
# Every listener is bound to 127.0.0.1; nothing is told any other address to contact. The API
# server still hands out 10.x ClusterIPs and kwok 10.x pod IPs: nothing may try to reach them
# (no proxying to pods/services, webhooks stay off).
#
# Settings (environment): MESH_E2E_CACHE (binary cache, as for build-tools.sh),
# MESH_E2E_CLUSTER_DIR (state, default /tmp/mesh-e2e-cluster), MESH_E2E_PORT_BASE (default
# 26400: etcd +0/+1, apiserver +43, controller-manager +57, scheduler +59, kwok +80),
# MESH_E2E_NODES (fake nodes, default 1), MESH_E2E_UP_TIMEOUT (seconds, default 90).
set -euo pipefail

CACHE=${MESH_E2E_CACHE:-$HOME/.cache/service-mesh-e2e}
DIR=${MESH_E2E_CLUSTER_DIR:-/tmp/mesh-e2e-cluster}
BASE=${MESH_E2E_PORT_BASE:-26400}
NODES=${MESH_E2E_NODES:-1}
TIMEOUT=${MESH_E2E_UP_TIMEOUT:-90}
HOST=127.0.0.1
P_ETCD=$((BASE + 0)) P_ETCD_PEER=$((BASE + 1)) P_API=$((BASE + 43))
P_KCM=$((BASE + 57)) P_SCHED=$((BASE + 59)) P_KWOK=$((BASE + 80))
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

binaries() {
    [ -f "$CACHE/env.sh" ] || die "no $CACHE/env.sh: run e2e/build-tools.sh first"
    # shellcheck disable=SC1091
    . "$CACHE/env.sh"
    ETCD=${MESH_E2E_ETCD:-} APISERVER=${MESH_E2E_KUBE_APISERVER:-}
    KCM=${MESH_E2E_KUBE_CONTROLLER_MANAGER:-} SCHED=${MESH_E2E_KUBE_SCHEDULER:-} KWOK=${MESH_E2E_KWOK:-}
    KWOK_STAGES=${MESH_E2E_KWOK_STAGES:-}
    [ -s "$KWOK_STAGES" ] || die "missing kwok stages file: run e2e/build-tools.sh kwok"
    for b in "$ETCD" "$APISERVER" "$KCM" "$SCHED" "$KWOK"; do
        [ -n "$b" ] && [ -x "$b" ] || die "missing binary (etcd/kube-*/kwok): run e2e/build-tools.sh kube etcd kwok"
    done
}

# pid of a component if it is still the process we started
alive() {
    local f=$DIR/$1.pid pid
    [ -f "$f" ] || return 1
    pid=$(cat "$f")
    [ -r "/proc/$pid/cmdline" ] || return 1
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(cat "$DIR/$1.exe" 2>/dev/null)" ] && { echo "$pid"; return 0; }
    return 1
}

start() { # start NAME BINARY ARGS...: detached, own session, logs to $DIR/NAME.log
    local name=$1 bin=$2
    shift 2
    setsid "$bin" "$@" >"$DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
    readlink -f "$bin" >"$DIR/$name.exe"
}

port_free() { ! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

api() { # api METHOD PATH [BODY]: REST call with the admin client certificate
    local args=(-sS --max-time 10 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key"
        -X "$1" "https://$HOST:$P_API$2")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data "$3")
    curl "${args[@]}"
}

wait_for() { # wait_for DESCRIPTION SECONDS COMMAND...
    local what=$1 until=$(($(date +%s) + $2))
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$until" ] || { log "timed out waiting for $what"; return 1; }
        for c in "${COMPONENTS[@]}"; do
            if [ -f "$DIR/$c.pid" ] && ! alive "$c" >/dev/null; then
                log "$c exited; last lines of $DIR/$c.log:"
                tail -n 20 "$DIR/$c.log" >&2 || true
                return 1
            fi
        done
        sleep 0.5
    done
}

pki() {
    local d=$DIR/pki
    mkdir -p "$d"
    (
        cd "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3 -subj /CN=mesh-e2e-ca 2>/dev/null
        cert() { # cert NAME SUBJECT EXTENSIONS
            openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
            printf '%b' "$3" >"$1.ext"
            openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3 \
                -extfile "$1.ext" 2>/dev/null
        }
        cert apiserver /CN=kube-apiserver \
            'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
        cert admin /O=system:masters/CN=mesh-e2e-admin \
            'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
        openssl genrsa -out sa.key 2048 2>/dev/null
        openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    )
    local b64='base64 -w0'
    cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mesh-e2e
  cluster:
    server: https://$HOST:$P_API
    certificate-authority-data: $($b64 <"$d/ca.crt")
users:
- name: mesh-e2e-admin
  user:
    client-certificate-data: $($b64 <"$d/admin.crt")
    client-key-data: $($b64 <"$d/admin.key")
contexts:
- name: mesh-e2e
  context: {cluster: mesh-e2e, user: mesh-e2e-admin}
current-context: mesh-e2e
EOF
    chmod 600 "$DIR/kubeconfig"
}

up() {
    binaries
    if [ -d "$DIR" ]; then
        for c in "${COMPONENTS[@]}"; do alive "$c" >/dev/null && die "already up ($DIR); run: $0 down"; done
        rm -rf "$DIR"
    fi
    for p in $P_ETCD $P_ETCD_PEER $P_API $P_KCM $P_SCHED $P_KWOK; do
        port_free "$p" || die "port $HOST:$p is in use (set MESH_E2E_PORT_BASE)"
    done
    mkdir -p "$DIR"
    local t0
    t0=$(date +%s)
    trap 'log "start failed; logs kept in $DIR.failed/"; rm -rf "$DIR.failed"; mkdir -p "$DIR.failed"; cp "$DIR"/*.log "$DIR.failed/" 2>/dev/null; down; exit 1' ERR
    pki

    start etcd "$ETCD" --name mesh-e2e --data-dir "$DIR/etcd" \
        --listen-client-urls "http://$HOST:$P_ETCD" --advertise-client-urls "http://$HOST:$P_ETCD" \
        --listen-peer-urls "http://$HOST:$P_ETCD_PEER" --initial-advertise-peer-urls "http://$HOST:$P_ETCD_PEER" \
        --initial-cluster "mesh-e2e=http://$HOST:$P_ETCD_PEER" --initial-cluster-state new \
        --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
    wait_for etcd "$TIMEOUT" curl -sf --max-time 2 "http://$HOST:$P_ETCD/health"

    start kube-apiserver "$APISERVER" \
        --bind-address "$HOST" --advertise-address "$HOST" --secure-port "$P_API" \
        --etcd-servers "http://$HOST:$P_ETCD" \
        --client-ca-file "$DIR/pki/ca.crt" \
        --tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$DIR/pki/sa.pub" --service-account-signing-key-file "$DIR/pki/sa.key" \
        --service-cluster-ip-range 10.96.0.0/16 \
        --requestheader-client-ca-file "$DIR/pki/ca.crt" --requestheader-allowed-names front-proxy-client \
        --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
        --requestheader-extra-headers-prefix X-Remote-Extra- \
        --endpoint-reconciler-type none \
        --authorization-mode RBAC --allow-privileged=true \
        --disable-admission-plugins ValidatingAdmissionWebhook,MutatingAdmissionWebhook,ValidatingAdmissionPolicy \
        --cert-dir "$DIR/pki/apiserver-generated" \
        --profiling=false --v=1
    # (readyz says ok only once every post-start hook ran, e.g. the RBAC bootstrap policy)
    wait_for kube-apiserver "$TIMEOUT" api_ok /readyz

    start kube-controller-manager "$KCM" \
        --kubeconfig "$DIR/kubeconfig" --authentication-kubeconfig "$DIR/kubeconfig" \
        --authorization-kubeconfig "$DIR/kubeconfig" \
        --bind-address "$HOST" --secure-port "$P_KCM" --cert-dir "$DIR/kcm-certs" \
        --leader-elect=false --use-service-account-credentials=false \
        --service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \
        --cluster-signing-cert-file "$DIR/pki/ca.crt" --cluster-signing-key-file "$DIR/pki/ca.key" \
        --controllers '*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller' \
        --profiling=false --v=1
    start kube-scheduler "$SCHED" \
        --kubeconfig "$DIR/kubeconfig" --authentication-kubeconfig "$DIR/kubeconfig" \
        --authorization-kubeconfig "$DIR/kubeconfig" \
        --bind-address "$HOST" --secure-port "$P_SCHED" --cert-dir "$DIR/sched-certs" \
        --leader-elect=false --profiling=false --v=1
    # kwok: its own server (kubelet-like endpoints of the fake nodes) on loopback; nodes report
    # 127.0.0.1 as their address and that port as their kubelet port.
    start kwok "$KWOK" --config "$KWOK_STAGES" \
        --kubeconfig "$DIR/kubeconfig" --manage-all-nodes=true \
        --server-address "$HOST:$P_KWOK" --node-ip "$HOST" --node-port "$P_KWOK" \
        --node-lease-duration-seconds 40 --v=INFO
    wait_for kube-controller-manager "$TIMEOUT" curl -sk --max-time 2 -o /dev/null "https://$HOST:$P_KCM/healthz"
    wait_for kube-scheduler "$TIMEOUT" curl -sk --max-time 2 -o /dev/null "https://$HOST:$P_SCHED/healthz"

    local i
    for i in $(seq 0 $((NODES - 1))); do
        api POST /api/v1/nodes "$(node_json "kwok-node-$i")" >/dev/null
    done
    wait_for "fake nodes Ready" "$TIMEOUT" nodes_ready
    wait_for "default service account" "$TIMEOUT" api_ok /api/v1/namespaces/default/serviceaccounts/default
    trap - ERR
    log "up in $(($(date +%s) - t0))s; state in $DIR"
    echo "export KUBECONFIG=$DIR/kubeconfig"
}

api_ok() { # api_ok PATH: GET answers 200
    [ "$(curl -sS --max-time 10 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
        -o /dev/null -w '%{http_code}' "https://$HOST:$P_API$1")" = 200 ]
}

node_json() {
    cat <<EOF
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$1","annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},"labels":{"kubernetes.io/hostname":"$1","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"}},"spec":{},"status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},"capacity":{"cpu":"32","memory":"256Gi","pods":"110"}}}
EOF
}

nodes_ready() {
    api GET /api/v1/nodes | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
ok = [n for n in items if any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))]
sys.exit(0 if items and len(ok) == len(items) else 1)'
}

down() {
    [ -d "$DIR" ] || { log "nothing to stop ($DIR absent)"; return 0; }
    local c pid i left
    for c in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
        pid=$(alive "$c") || continue
        kill -TERM "$pid" 2>/dev/null || true
    done
    for i in $(seq 1 40); do
        left=0
        for c in "${COMPONENTS[@]}"; do alive "$c" >/dev/null && left=1; done
        [ $left -eq 0 ] && break
        sleep 0.25
    done
    for c in "${COMPONENTS[@]}"; do
        pid=$(alive "$c") || continue
        log "$c ($pid) did not stop: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    done
    sleep 0.2
    rm -rf "$DIR"
    log "down"
}

smoke() { # namespace + Deployment (2 replicas) become available, then the namespace is deleted
    [ -f "$DIR/pki/admin.crt" ] || die "not up: run $0 up"
    local ns=mesh-e2e-smoke-$$ t0
    t0=$(date +%s)
    api POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" >/dev/null
    api_ok "/api/v1/namespaces/$ns" || die "namespace $ns not created"
    log "namespace $ns created"
    wait_for "default service account in $ns" 30 api_ok "/api/v1/namespaces/$ns/serviceaccounts/default"
    api POST "/apis/apps/v1/namespaces/$ns/deployments" '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"smoke"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"smoke"}},"template":{"metadata":{"labels":{"app":"smoke"}},"spec":{"containers":[{"name":"c","image":"registry.invalid/none:0"}]}}}}' >/dev/null
    wait_for "Deployment available" 60 deployment_available "$ns" smoke
    log "Deployment $ns/smoke available (pods Running on a kwok node)"
    api DELETE "/api/v1/namespaces/$ns" >/dev/null
    wait_for "namespace $ns deleted" 60 gone "/api/v1/namespaces/$ns"
    log "namespace $ns deleted; smoke ok in $(($(date +%s) - t0))s"
}

deployment_available() {
    api GET "/apis/apps/v1/namespaces/$1/deployments/$2" | python3 -c '
import json, sys
s = json.load(sys.stdin).get("status", {})
sys.exit(0 if s.get("availableReplicas") == s.get("replicas") == 2 else 1)'
}

gone() {
    [ "$(curl -sS --max-time 10 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
        -o /dev/null -w '%{http_code}' "https://$HOST:$P_API$1")" = 404 ]
}

status() {
    local c pid rc=0
    for c in "${COMPONENTS[@]}"; do
        if pid=$(alive "$c"); then log "$c: running (pid $pid)"; else log "$c: not running"; rc=1; fi
    done
    if [ -f "$DIR/pki/admin.crt" ]; then log "readyz: $(api GET /readyz 2>&1 || true)"; fi
    return $rc
}

case ${1:-} in
    up) up ;;
    down) down ;;
    status) status ;;
    smoke) smoke ;;
    *) echo "usage: $0 up|down|status|smoke" >&2; exit 2 ;;
esac

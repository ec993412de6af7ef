#!/usr/bin/env bash
# Build the real end-to-end tools (Pulumi CLI, Kubernetes provider, kube-apiserver,
# kube-controller-manager, kube-scheduler, etcd, kwok/kwokctl, istioctl) from the Go module proxy into a
# cache OUTSIDE the clone, one folder per tool and version. A tool whose binary is already
# cached is skipped, so a rerun with everything cached takes seconds.
#
#   e2e/build-tools.sh              # build every tool
#   e2e/build-tools.sh kube etcd    # only these (pulumi k8s-provider kube etcd kwok istioctl)
#   . "${MESH_E2E_CACHE:-$HOME/.cache/service-mesh-e2e}/env.sh"   # afterwards: PATH and paths
#
# Needs only Go (>= 1.26), python3 (to read go.mod JSON) and the Go module proxy; every build
# runs under `nice -n 19`. Cold: about 60 min on 2 cores. See e2e/NOTES-build.md for what the proxy
# serves, which versions had to be substituted, and measured build times.
set -euo pipefail

# ---------------------------------------------------------------------------------------
# Versions (defined once). The proxy here serves only a fixed set of module versions
# ("403 This module version is not available" for the rest), hence the substitutions.
# ---------------------------------------------------------------------------------------
# Python wheels the project runs against (requirements.txt ranges; the e2e target).
PULUMI_WHEEL_VERSION=3.272.0          # must match the `pulumi` wheel in the venv
K8S_PROVIDER_WHEEL_VERSION=4.34.2     # must match the `pulumi-kubernetes` wheel in the venv
# Pulumi CLI: github.com/pulumi/pulumi/pkg/v3@v3.272.0 is NOT served; the nearest served
# version at or above the wheel is used (a CLI newer than the Python SDK is supported).
PULUMI_CLI_VERSION=v3.274.1
# Exec shim pulumi-language-python-exec: taken from sdk/v3 at the wheel's version.
PULUMI_SDK_SHIM_VERSION=v${PULUMI_WHEEL_VERSION}
# Python language host module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3:
# NOT served at any version; tried (and reported) only if PULUMI_LANGHOST_VERSION is set.
PULUMI_LANGHOST_VERSION=${PULUMI_LANGHOST_VERSION:-}
# Kubernetes provider: the only served version of provider/v4 is this pseudo-version
# (commit f47bc2d6f199 of 2026-01-15, requires sdk/v4 v4.24.0: the 4.25.0 release line).
# 4.34.2's commit is not served. The binary reports K8S_PROVIDER_LABEL; env.sh tells to
# register it as plugin version K8S_PROVIDER_WHEEL_VERSION so the 4.34.2 SDK finds it.
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
K8S_PROVIDER_LABEL=4.25.0-dev.f47bc2d6f199
# Its go.mod wants sdk/v4 v4.24.0 (not served); nearest served below it (keeps sdk/v3 at v3.215):
K8S_PROVIDER_SDK_VERSION=v4.22.2
# Kubernetes: latest 1.34 patch the proxy serves; staging modules at the matching v0.34.x.
KUBE_VERSION=v1.34.4
# etcd: latest 3.6 patch served.
ETCD_VERSION=v3.6.16
# kwok / kwokctl: latest release.
KWOK_VERSION=v0.8.0
# istioctl: the 1.30.3 commit (56df41f63e51) is NOT served; this is the only served commit
# of the release-1.30 line (2026-08-26, requires istio.io/api v1.30.4-0.*: after 1.30.3,
# before 1.30.4). It reports 1.30.3 as its version and this commit as its git revision.
ISTIO_MODULE_VERSION=v0.0.0-20260826214018-9739e10eb9d7
ISTIO_LABEL=1.30.3
ISTIO_GIT_REVISION=9739e10eb9d7
# Its go.mod names dependency versions whose .zip the proxy refuses (the .mod is served):
# replace each with the nearest served version (same release line, or the next snapshot).
ISTIO_REPLACES=(
    istio.io/api=istio.io/api@v1.30.8
    istio.io/client-go=istio.io/client-go@v1.30.8
    github.com/envoyproxy/go-control-plane/envoy=github.com/envoyproxy/go-control-plane/envoy@v1.37.1-0.20260729145720-a2d8c7492908
    github.com/envoyproxy/go-control-plane/contrib=github.com/envoyproxy/go-control-plane/contrib@v1.36.1-0.20260713214202-ca8ce173c36f
)

# ---------------------------------------------------------------------------------------
CACHE=${MESH_E2E_CACHE:-$HOME/.cache/service-mesh-e2e}
SRC=$CACHE/src          # wrapper modules / copied sources (small)
mkdir -p "$CACHE" "$SRC"
CACHE=$(cd "$CACHE" && pwd)
SRC=$CACHE/src

# The wheels in the project's venv (if any) should be the ones targeted above: warn if not
# (requirements.txt gives ranges, so a fresh venv may hold newer wheels).
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for py in "${MESH_E2E_PYTHON:-}" "$REPO/.venv/bin/python"; do
    [ -n "$py" ] && [ -x "$py" ] || continue
    got=$("$py" -c 'import importlib.metadata as m; print(m.version("pulumi"), m.version("pulumi-kubernetes"))' 2>/dev/null || true)
    [ "$got" = "$PULUMI_WHEEL_VERSION $K8S_PROVIDER_WHEEL_VERSION" ] ||
        printf '[build-tools] warning: %s has pulumi, pulumi-kubernetes = "%s"; these tools target %s %s\n' \
            "$py" "$got" "$PULUMI_WHEEL_VERSION" "$K8S_PROVIDER_WHEEL_VERSION" >&2
    break
done

export PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null || { echo "go not found" >&2; exit 1; }
export GOFLAGS=-mod=mod
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOPROXY=${GOPROXY:-https://proxy.golang.org}
export CGO_ENABLED=0
NICE=(nice -n 19)

TOTAL_START=$(date +%s)
declare -a REPORT=()
FAILED=0

log() { printf '[build-tools] %s\n' "$*" >&2; }

# Start a wrapper module in $1 for main module $2@$3: same go/godebug lines as that module,
# and its non-local replace directives (replaces in dependencies are ignored by Go).
wrapper() {
    local dir=$1 mod=$2 ver=$3 gomod
    rm -rf "$dir"
    mkdir -p "$dir"
    gomod=$(cd "$dir" && GOFLAGS= go mod download -json "$mod@$ver" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$gomod" ] || { log "cannot download $mod@$ver"; return 1; }
    {
        echo "module e2e.local/wrapper"
        echo
        grep -E '^go [0-9]' "$gomod" || echo "go 1.26"
        grep -E '^godebug ' "$gomod" || true
        echo
        echo "require $mod $ver"
    } >"$dir/go.mod"
    # copy replaces whose target is a module (not a ../ or ./ path)
    (cd "$dir" && GOFLAGS= go mod edit -json "$gomod") | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    new = r["New"]
    if new.get("Version"):
        old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
        print("replace %s => %s %s" % (old, new["Path"], new["Version"]))
' >>"$dir/go.mod"
    echo "$gomod"
}

# module directory in the module cache
moddir() { GOFLAGS= go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

# run_tool NAME OUTDIR MAINBINARY FUNCTION: skip if cached, else time FUNCTION OUTDIR
run_tool() {
    local name=$1 out=$2 bin=$3 fn=$4 t0 rc
    if [ -x "$out/$bin" ]; then
        REPORT+=("$(printf '%-22s cached   %s' "$name" "$out")")
        return 0
    fi
    log "building $name -> $out"
    t0=$(date +%s)
    rm -rf "$out.tmp"
    mkdir -p "$out.tmp"
    set +e
    ( set -e; "$fn" "$out.tmp" )
    rc=$?
    set -e
    if [ $rc -eq 0 ] && [ -x "$out.tmp/$bin" ]; then
        rm -rf "$out"
        mv "$out.tmp" "$out"
        REPORT+=("$(printf '%-22s built    %4ds  %s' "$name" $(($(date +%s) - t0)) "$out")")
        log "$name: built in $(($(date +%s) - t0))s"
    else
        rm -rf "$out.tmp"
        REPORT+=("$(printf '%-22s FAILED   %4ds  (exit %s)' "$name" $(($(date +%s) - t0)) "$rc")")
        log "$name: FAILED after $(($(date +%s) - t0))s"
        FAILED=1
    fi
}

# --- Pulumi CLI (+ the Python exec shim beside it) --------------------------------------
build_pulumi() {
    local out=$1 w=$SRC/pulumi-$PULUMI_CLI_VERSION sdkdir
    wrapper "$w" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_CLI_VERSION" >/dev/null
    (cd "$w" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION" &&
        "${NICE[@]}" go build -trimpath -o "$out/pulumi" \
            -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
            github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    sdkdir=$(cd "$w" && moddir "github.com/pulumi/pulumi/sdk/v3@$PULUMI_SDK_SHIM_VERSION")
    install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$out/pulumi-language-python-exec"
    if [ -n "$PULUMI_LANGHOST_VERSION" ]; then
        local lw=$SRC/pulumi-language-python-$PULUMI_LANGHOST_VERSION
        if wrapper "$lw" github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 "$PULUMI_LANGHOST_VERSION" >/dev/null; then
            (cd "$lw" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION" \
                -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_CLI_VERSION" &&
                "${NICE[@]}" go build -trimpath -o "$out/pulumi-language-python" \
                    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
                    github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) ||
                log "pulumi-language-python: build failed"
        else
            log "pulumi-language-python@$PULUMI_LANGHOST_VERSION: not served by the proxy"
        fi
    fi
}

# --- Kubernetes provider ------------------------------------------------------------------
build_k8s_provider() {
    local out=$1 w=$SRC/pulumi-kubernetes-$K8S_PROVIDER_MODULE_VERSION d
    # The module zip lacks the generated schema-embed.json / terraform-mapping-embed.json that
    # main.go embeds: copy the module out of the read-only cache and generate them there.
    d=$(moddir "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION")
    [ -d "$d" ] || { log "cannot download provider/v4@$K8S_PROVIDER_MODULE_VERSION"; return 1; }
    rm -rf "$w"
    cp -r "$d" "$w"
    chmod -R u+w "$w"
    (
        cd "$w"
        # go.mod replaces sdk/v4 => ../sdk (the Go SDK generated in the same commit) and
        # requires sdk/v4 v4.24.0, which the proxy does not serve: use a served sdk/v4.
        go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
            -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@$K8S_PROVIDER_SDK_VERSION"
        cd cmd/pulumi-resource-kubernetes
        VERSION=$K8S_PROVIDER_LABEL "${NICE[@]}" go run generate.go
        cd "$w"
        "${NICE[@]}" go build -trimpath -o "$out/pulumi-resource-kubernetes" \
            -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_LABEL" \
            ./cmd/pulumi-resource-kubernetes
    )
}

# --- kube-apiserver, kube-controller-manager, kube-scheduler ---------------------------------------------
build_kube() {
    local out=$1 w=$SRC/kubernetes-$KUBE_VERSION gomod staging minor major
    gomod=$(wrapper "$w" k8s.io/kubernetes "$KUBE_VERSION")
    staging=v0.${KUBE_VERSION#v1.}
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
    # ./staging/...: replace each one it requires with its published v0.X.Y.
    (cd "$w" && GOFLAGS= go mod edit -json "$gomod") | python3 -c '
import json, sys
d = json.load(sys.stdin)
local = {r["Old"]["Path"] for r in d.get("Replace") or [] if r["New"]["Path"].startswith("./staging/")}
for r in d.get("Require") or []:
    if r["Path"] in local and r["Version"] == "v0.0.0":
        print("replace %s => %s %s" % (r["Path"], r["Path"], sys.argv[1]))
' "$staging" >>"$w/go.mod"
    major=${KUBE_VERSION#v}; major=${major%%.*}
    minor=${KUBE_VERSION#v*.}; minor=${minor%%.*}
    local pfx=k8s.io/component-base/version
    local ld="-s -w -X $pfx.gitVersion=$KUBE_VERSION -X $pfx.gitMajor=$major -X $pfx.gitMinor=$minor -X $pfx.gitTreeState=clean"
    ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=$major -X k8s.io/client-go/pkg/version.gitMinor=$minor"
    (cd "$w" && "${NICE[@]}" go build -trimpath -ldflags "$ld" -o "$out/" \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler)
}

# --- etcd ---------------------------------------------------------------------------------
build_etcd() {
    local out=$1 w=$SRC/etcd-$ETCD_VERSION
    wrapper "$w" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" >/dev/null
    (cd "$w" && "${NICE[@]}" go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
}

# --- kwok, kwokctl -------------------------------------------------------------------------
build_kwok() {
    local out=$1 w=$SRC/kwok-$KWOK_VERSION
    wrapper "$w" sigs.k8s.io/kwok "$KWOK_VERSION" >/dev/null
    (cd "$w" && "${NICE[@]}" go build -trimpath -ldflags "-s -w" -o "$out/" \
        sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl)
    kwok_stages "$out"
}

# kwok needs Stage objects (else "no stages found"): the "fast" set kwokctl uses (node
# initialize + heartbeat with lease, pods ready/complete/delete), from the kwok module.
kwok_stages() {
    local out=$1 d f
    [ -s "$out/kwok-stages.yaml" ] && return 0
    d=$(moddir "sigs.k8s.io/kwok@$KWOK_VERSION")/kustomize/stage
    for f in "$d"/node/fast/*.yaml "$d"/node/heartbeat-with-lease/*.yaml "$d"/pod/fast/*.yaml; do
        case $(basename "$f") in kustomization.yaml) continue ;; esac
        echo "---"
        cat "$f"
    done >"$out/kwok-stages.yaml.tmp"
    mv "$out/kwok-stages.yaml.tmp" "$out/kwok-stages.yaml"
}

# --- istioctl ------------------------------------------------------------------------------
build_istioctl() {
    local out=$1 w=$SRC/istio-$ISTIO_MODULE_VERSION
    wrapper "$w" istio.io/istio "$ISTIO_MODULE_VERSION" >/dev/null
    local r
    for r in "${ISTIO_REPLACES[@]}"; do (cd "$w" && go mod edit -replace="$r"); done
    local ld="-s -w -X istio.io/istio/pkg/version.buildVersion=$ISTIO_LABEL -X istio.io/istio/pkg/version.buildGitRevision=$ISTIO_GIT_REVISION -X istio.io/istio/pkg/version.buildStatus=Clean"
    (cd "$w" && "${NICE[@]}" go build -trimpath -ldflags "$ld" -o "$out/istioctl" istio.io/istio/istioctl/cmd/istioctl)
}

# ---------------------------------------------------------------------------------------
PULUMI_DIR=$CACHE/pulumi-$PULUMI_CLI_VERSION
K8S_PROVIDER_DIR=$CACHE/pulumi-resource-kubernetes-$K8S_PROVIDER_LABEL
KUBE_DIR=$CACHE/kubernetes-$KUBE_VERSION
ETCD_DIR=$CACHE/etcd-$ETCD_VERSION
KWOK_DIR=$CACHE/kwok-$KWOK_VERSION
ISTIO_DIR=$CACHE/istioctl-$ISTIO_LABEL-$ISTIO_GIT_REVISION

TOOLS=("$@")
[ ${#TOOLS[@]} -eq 0 ] && TOOLS=(pulumi k8s-provider kube etcd kwok istioctl)
for t in "${TOOLS[@]}"; do
    case $t in
        pulumi) run_tool pulumi "$PULUMI_DIR" pulumi build_pulumi ;;
        k8s-provider) run_tool pulumi-resource-kubernetes "$K8S_PROVIDER_DIR" pulumi-resource-kubernetes build_k8s_provider ;;
        kube) run_tool kube-apiserver+kcm+sched "$KUBE_DIR" kube-scheduler build_kube ;;
        etcd) run_tool etcd "$ETCD_DIR" etcd build_etcd ;;
        kwok) run_tool kwok+kwokctl "$KWOK_DIR" kwokctl build_kwok
            [ -x "$KWOK_DIR/kwok" ] && kwok_stages "$KWOK_DIR" ;;
        istioctl) run_tool istioctl "$ISTIO_DIR" istioctl build_istioctl ;;
        *) echo "unknown tool: $t (pulumi k8s-provider kube etcd kwok istioctl)" >&2; exit 2 ;;
    esac
done

# env.sh: paths to every binary, and PATH with their folders (only those that exist).
{
    echo "# generated by e2e/build-tools.sh; source it: . $CACHE/env.sh"
    echo "export MESH_E2E_CACHE=$CACHE"
    p=""
    for pair in PULUMI:"$PULUMI_DIR/pulumi" PULUMI_RESOURCE_KUBERNETES:"$K8S_PROVIDER_DIR/pulumi-resource-kubernetes" \
        KUBE_APISERVER:"$KUBE_DIR/kube-apiserver" KUBE_CONTROLLER_MANAGER:"$KUBE_DIR/kube-controller-manager" KUBE_SCHEDULER:"$KUBE_DIR/kube-scheduler" \
        ETCD:"$ETCD_DIR/etcd" KWOK:"$KWOK_DIR/kwok" KWOKCTL:"$KWOK_DIR/kwokctl" KWOK_STAGES:"$KWOK_DIR/kwok-stages.yaml" ISTIOCTL:"$ISTIO_DIR/istioctl"; do
        var=${pair%%:*} path=${pair#*:}
        if [ -e "$path" ]; then
            echo "export MESH_E2E_$var=$path"
            # not the provider's folder: a provider found on PATH wins over the installed plugin
            # and the engine warns about it on every run
            [ -x "$path" ] && [ "$var" != PULUMI_RESOURCE_KUBERNETES ] || continue
            case ":$p:" in *":$(dirname "$path"):"*) ;; *) p="$p:$(dirname "$path")" ;; esac
        fi
    done
    echo "# register the provider under the version the pulumi-kubernetes wheel asks for:"
    echo "#   pulumi plugin install resource kubernetes \$MESH_E2E_K8S_PLUGIN_VERSION --file \$MESH_E2E_PULUMI_RESOURCE_KUBERNETES"
    echo "export MESH_E2E_K8S_PLUGIN_VERSION=$K8S_PROVIDER_WHEEL_VERSION"
    echo "export MESH_E2E_PULUMI_WHEEL_VERSION=$PULUMI_WHEEL_VERSION"
    echo "export PATH=${p#:}:\$PATH"
} >"$CACHE/env.sh"

log "summary (cache: $CACHE)"
for line in "${REPORT[@]}"; do printf '  %s\n' "$line" >&2; done
log "total $(($(date +%s) - TOTAL_START))s; env: . $CACHE/env.sh"
grep '^export PATH=' "$CACHE/env.sh"
exit $FAILED

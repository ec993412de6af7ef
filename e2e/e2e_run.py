"""End-to-end run of this project's real program against a Kubernetes cluster.

The Python language host cannot be built here, so the program runs as an Automation
API *inline* program (the CLI talks to this process over ``--client``): the same
``mesh.program.main`` that ``pulumi up`` would run, with the stack config of
``Pulumi.<stack>.yaml`` as the CLI stores it, plus the overrides an e2e run needs
(chart repository on 127.0.0.1, ClusterIP gateway, chart version of the served
charts, one secret env value, a canary on ``review``).

    e2e_run.py package --charts ../shared/istio/charts --out DIR
        package base/istiod/gateway into DIR (.tgz + index.yaml) for a chart server
    e2e_run.py run --kubeconfig FILE --chart-repo http://127.0.0.1:PORT [--pulumi BIN] ...
        the checks; prints one line per check and a closing ``N passed, N failed``

Every step is a named check; the exit status is 1 when any failed.
"""

import argparse
import base64
import copy
import gzip
import hashlib
import io
import json
import os
import shutil
import ssl
import sys
import tarfile
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "service-mesh"
CHARTS = ("base", "istiod", "gateway")
SECRET_VALUE = "e2e-s3cr3t-value"
SECRET_KEY = "API_KEY"
CANARY_SERVICE = "review"
PASSPHRASE = "mesh-e2e-not-a-secret"


def log(msg: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------- charts


def package_charts(charts_dir: Path, out: Path, names: tuple[str, ...] = CHARTS) -> list[dict[str, Any]]:
    """``helm package`` without helm: each chart folder as ``<name>-<version>.tgz`` (files
    under a top folder named after the chart), and an ``index.yaml`` listing them."""
    out.mkdir(parents=True, exist_ok=True)
    entries: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        chart_dir = charts_dir / name
        meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or meta.get("name") != name:
            raise ValueError(f"{chart_dir}/Chart.yaml does not name chart {name!r}")
        version = str(meta["version"])
        archive = out / f"{name}-{version}.tgz"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for path in sorted(chart_dir.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=f"{name}/{path.relative_to(chart_dir).as_posix()}", recursive=False)
        archive.write_bytes(buf.getvalue())
        entry = {
            "name": name,
            "version": version,
            "apiVersion": meta.get("apiVersion", "v2"),
            "appVersion": str(meta.get("appVersion", version)),
            "description": meta.get("description", ""),
            "urls": [archive.name],
            "digest": hashlib.sha256(buf.getvalue()).hexdigest(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        entries[name] = [entry]
    index = {"apiVersion": "v1", "entries": entries, "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (out / "index.yaml").write_text(yaml.safe_dump(index, sort_keys=True), encoding="utf-8")
    return [e for es in entries.values() for e in es]


# ---------------------------------------------------------------------------- Kubernetes API


class Kube:
    """Raw HTTPS to the API server with the kubeconfig's credentials (stdlib only)."""

    def __init__(self, kubeconfig: Path) -> None:
        cfg = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
        ctx_name = cfg.get("current-context") or cfg["contexts"][0]["name"]
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user: dict[str, Any] = next((u["user"] for u in cfg.get("users", []) if u["name"] == ctx.get("user")), {})
        self.server = str(cluster["server"]).rstrip("/")
        self._tmp = tempfile.mkdtemp(prefix="mesh-e2e-kube-")
        base = kubeconfig.parent
        self.ctx = ssl.create_default_context()
        if cluster.get("insecure-skip-tls-verify"):
            self.ctx.check_hostname = False
            self.ctx.verify_mode = ssl.CERT_NONE
        elif "certificate-authority-data" in cluster:
            self.ctx.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        elif "certificate-authority" in cluster:
            self.ctx.load_verify_locations(cafile=str(base / cluster["certificate-authority"]))
        cert = self._file(user, "client-certificate", base)
        key = self._file(user, "client-key", base)
        if cert and key:
            self.ctx.load_cert_chain(cert, key)
        self.token = user.get("token")
        self._resources: dict[tuple[str, str], tuple[str, bool]] = {}

    def _file(self, user: dict[str, Any], field: str, base: Path) -> str | None:
        if f"{field}-data" in user:
            path = Path(self._tmp) / field
            path.write_bytes(base64.b64decode(user[f"{field}-data"]))
            path.chmod(0o600)
            return str(path)
        if field in user:
            return str(base / user[field])
        return None

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    def get(self, path: str, *, missing_ok: bool = False) -> Any:
        req = urllib.request.Request(self.server + path, headers={"Accept": "application/json"})
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=15) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            if missing_ok and err.code == 404:
                return None
            raise RuntimeError(f"GET {path}: HTTP {err.code}: {err.read()[:300]!r}") from None

    def resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) of a kind, from discovery."""
        key = (api_version, kind)
        if key not in self._resources:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            for r in self.get(path)["resources"]:
                if "/" not in r["name"]:
                    self._resources[(api_version, r["kind"])] = (r["name"], bool(r["namespaced"]))
        return self._resources[key]

    def object_path(self, api_version: str, kind: str, name: str, namespace: str | None) -> str:
        plural, namespaced = self.resource(api_version, kind)
        prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        ns = f"/namespaces/{namespace or 'default'}" if namespaced else ""
        return f"{prefix}{ns}/{plural}/{urllib.parse.quote(name)}"

    def obj(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        return self.get(self.object_path(api_version, kind, name, namespace), missing_ok=True)


# ---------------------------------------------------------------------------- checks


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def check(self, name: str, fn: Callable[[], str | None]) -> bool:
        t0 = time.monotonic()
        try:
            detail = fn()
        except Exception as err:  # every failure is a failed check, with its text
            self.failed.append(name)
            text = short_error(err)
            log(f"FAIL {name} ({time.monotonic() - t0:.1f}s): {type(err).__name__}: {text[-4000:]}")
            if os.environ.get("MESH_E2E_TRACEBACK"):
                traceback.print_exc()
            return False
        self.passed += 1
        log(f"PASS {name} ({time.monotonic() - t0:.1f}s){': ' + detail if detail else ''}")
        return True


def short_error(err: BaseException) -> str:
    """An exception's text; for a failed Pulumi command, its distinct error lines."""
    text = str(err).strip() or type(err).__name__
    if "stdout:" not in text and "stderr:" not in text:
        return text
    lines: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if ("error" in line.lower() or line.startswith("- ")) and line not in lines:
            lines.append(line)
    return "\n      ".join(lines[:25]) or text[-3000:]


def wait_until(what: str, seconds: float, cond: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {seconds:.0f}s waiting for {what}")
        time.sleep(1)


# ---------------------------------------------------------------------------- config


def cli_config(stack_file: Path) -> dict[str, Any]:
    """The stack file's ``config`` mapping (objects as YAML holds them)."""
    data = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    values = data.get("config") or {}
    if not isinstance(values, dict):
        raise ValueError(f"{stack_file}: `config` is not a mapping")
    return dict(values)


def e2e_config(base: dict[str, Any], chart_repo: str, version: str, weights: tuple[int, int]) -> dict[str, Any]:
    """The dev config with what an e2e run needs changed (nothing else)."""
    cfg = copy.deepcopy(base)
    istio = cfg.setdefault(f"{PROJECT}:istio", {})
    istio["version"] = version
    istio["repository"] = chart_repo
    istio.setdefault("gateway", {})["service_type"] = "ClusterIP"
    services = cfg[f"{PROJECT}:services"]
    canary = next(s for s in services if s["name"] == CANARY_SERVICE)
    v1 = next(v for v in canary["versions"] if v["name"] == "v1")
    if not any(v["name"] == "v2" for v in canary["versions"]):
        canary["versions"].append({"name": "v2", "image": str(v1["image"]).rsplit(":", 1)[0] + ":e2e-canary"})
    split = [{"version": "v1", "weight": weights[0]}, {"version": "v2", "weight": weights[1]}]
    routes = canary.setdefault("routes", [])
    catch_all = next((r for r in routes if "match" not in r), None)
    if catch_all is None:  # a route of its own, last (a route without match catches everything)
        routes.append({"name": "canary", "destinations": split})
    else:  # dev's `faults` route: its destinations become the split, its fault stays
        catch_all["destinations"] = split
    return cfg


def config_json(cfg: dict[str, Any]) -> str:
    """``pulumi config --json`` form: objects stay objects, as ``config set --path`` stores them."""
    out: dict[str, Any] = {}
    for key, value in cfg.items():
        if isinstance(value, dict | list):
            out[key] = {"value": json.dumps(value), "objectValue": value, "secret": False}
        elif isinstance(value, bool):
            out[key] = {"value": "true" if value else "false", "secret": False}
        else:
            out[key] = {"value": str(value), "secret": False}
    return json.dumps(out)


def non_loopback_urls(value: Any) -> list[str]:
    text = json.dumps(value)
    found = []
    for scheme in ("http://", "https://", "oci://"):
        start = 0
        while (i := text.find(scheme, start)) >= 0:
            url = text[i : i + 200].split('"')[0]
            host = urllib.parse.urlsplit(url).hostname or ""
            if host not in ("127.0.0.1", "localhost", "::1"):
                found.append(url)
            start = i + 1
    return found


# ---------------------------------------------------------------------------- the run


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        from pulumi import automation as auto

        self.auto = auto
        self.args = args
        self.kubeconfig = Path(args.kubeconfig).resolve()
        self.kube = Kube(self.kubeconfig)
        self.tmp = Path(tempfile.mkdtemp(prefix="mesh-e2e-run-"))
        self.work = self.tmp / "project"
        self.work.mkdir()
        shutil.copy(ROOT / "Pulumi.yaml", self.work / "Pulumi.yaml")
        (self.tmp / "state").mkdir()
        (self.tmp / "home").mkdir()
        pulumi_bin = Path(args.pulumi).resolve()
        os.environ["PATH"] = f"{pulumi_bin.parent}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env = {
            "PULUMI_BACKEND_URL": f"file://{self.tmp / 'state'}",
            "PULUMI_HOME": str(self.tmp / "home"),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "KUBECONFIG": str(self.kubeconfig),
            "PATH": os.environ["PATH"],
        }
        self.base = cli_config(Path(args.stack_file))
        self.stack: Any = None
        self.state_text = ""

    def close(self) -> None:
        self.kube.close()
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- Pulumi

    def install_provider(self) -> str:
        import subprocess

        if not self.args.provider:
            return "provider: using plugins already in PULUMI_HOME"
        env = {**os.environ, **self.env}
        subprocess.run(
            [self.args.pulumi, "plugin", "install", "resource", "kubernetes", self.args.provider_version,
             "--file", self.args.provider],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return f"kubernetes plugin {self.args.provider_version} from {self.args.provider}"

    def program(self) -> None:
        from mesh.program import main

        main()

    @contextmanager
    def in_work_dir(self) -> Iterator[None]:
        # read_config finds secret leaves in Pulumi.<stack>.yaml of the working directory.
        old = os.getcwd()
        os.chdir(self.work)
        try:
            yield
        finally:
            os.chdir(old)

    def open_stack(self) -> str:
        auto = self.auto
        ws = auto.LocalWorkspaceOptions(work_dir=str(self.work), env_vars=self.env)
        self.stack = auto.create_or_select_stack(self.args.stack, project_name=PROJECT, program=self.program, opts=ws)
        return f"stack {self.args.stack} in {self.work}"

    def set_config(self, weights: tuple[int, int]) -> str:
        cfg = e2e_config(self.base, self.args.chart_repo, self.args.istio_version, weights)
        remote = non_loopback_urls(cfg)
        if remote:
            raise RuntimeError(f"refusing to run: config names non-loopback URLs {remote}")
        self.stack.set_all_config_json(config_json(cfg))
        self.stack.set_config(
            f"{PROJECT}:services[0].env.{SECRET_KEY}", self.auto.ConfigValue(SECRET_VALUE, secret=True), path=True
        )
        stack_file = (self.work / f"Pulumi.{self.args.stack}.yaml").read_text(encoding="utf-8")
        if SECRET_VALUE in stack_file or "secure:" not in stack_file:
            raise RuntimeError("the secret is not stored encrypted in the stack file")
        return f"canary weights {weights}"

    def out(self, line: str) -> None:
        if self.args.verbose:
            print("    " + line.rstrip(), flush=True)

    def preview(self, **kw: Any) -> Any:
        with self.in_work_dir():
            return self.stack.preview(on_output=self.out, color="never", diff=False, **kw)

    def up(self, **kw: Any) -> Any:
        with self.in_work_dir():
            return self.stack.up(on_output=self.out, color="never", **kw)

    def destroy(self) -> Any:
        with self.in_work_dir():
            return self.stack.destroy(on_output=self.out, color="never")

    def state(self) -> list[dict[str, Any]]:
        dep = self.stack.export_stack()
        self.state_text = json.dumps(dep.deployment)
        resources: list[dict[str, Any]] = dep.deployment.get("resources") or []
        return resources

    # -- verification

    def k8s_objects(self) -> list[tuple[str, dict[str, Any]]]:
        """(urn, outputs) of every Kubernetes object in the state but the Helm releases."""
        return [
            (r["urn"], r.get("outputs") or {})
            for r in self.state()
            if r.get("custom")
            and str(r["type"]).startswith("kubernetes:")
            and r["type"] != "kubernetes:helm.sh/v3:Release"
            and not str(r["type"]).startswith("pulumi:providers:")
        ]

    def releases(self) -> list[dict[str, Any]]:
        return [r.get("outputs") or {} for r in self.state() if r["type"] == "kubernetes:helm.sh/v3:Release"]

    def app_namespaces(self) -> list[str]:
        ns = self.base.get(f"{PROJECT}:namespace", "apps")
        return [str(ns)]

    def check_crds(self) -> str:
        crds = [c for c in self.kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")["items"]
                if str(c["spec"]["group"]).endswith("istio.io")]  # fmt: skip
        if len(crds) < 5:
            raise AssertionError(f"only {len(crds)} Istio CRDs")
        bad = [c["metadata"]["name"] for c in crds
               if not any(x["type"] == "Established" and x["status"] == "True" for x in c.get("status", {}).get("conditions", []))]  # fmt: skip
        if bad:
            raise AssertionError(f"not Established: {bad}")
        return f"{len(crds)} Istio CRDs Established"

    def check_helm(self) -> str:
        rels = self.releases()
        if len(rels) != 3:
            raise AssertionError(f"expected 3 Helm releases in the state, found {len(rels)}")
        seen = []
        for rel in rels:
            name, ns = rel["name"], rel["namespace"]
            secret = self.kube.obj("v1", "Secret", f"sh.helm.release.v1.{name}.v1", ns)
            if secret is None:
                raise AssertionError(f"no Helm release Secret for {ns}/{name}")
            labels = secret["metadata"].get("labels", {})
            release = json.loads(gzip.decompress(base64.b64decode(base64.b64decode(secret["data"]["release"]))))
            version = release["chart"]["metadata"]["version"]
            if labels.get("status") != "deployed" or release["info"]["status"] != "deployed":
                raise AssertionError(f"{ns}/{name}: status {labels.get('status')}/{release['info']['status']}")
            if version != self.args.istio_version:
                raise AssertionError(f"{ns}/{name}: chart version {version}")
            seen.append(f"{ns}/{name}")
        return f"deployed, chart {self.args.istio_version}: " + ", ".join(sorted(seen))

    def check_namespaces(self) -> str:
        for ns in self.app_namespaces():
            obj = self.kube.obj("v1", "Namespace", ns)
            if obj is None:
                raise AssertionError(f"namespace {ns} missing")
            labels = obj["metadata"].get("labels", {})
            if labels.get("istio-injection") != "enabled":
                raise AssertionError(f"namespace {ns} labels {labels}")
        return ", ".join(self.app_namespaces())

    def check_deployments(self) -> str:
        names = []
        for ns in self.app_namespaces():
            items = self.kube.get(f"/apis/apps/v1/namespaces/{ns}/deployments")["items"]
            if not items:
                raise AssertionError(f"no Deployments in {ns}")
            for d in items:
                meta = d["spec"]["template"]["metadata"]
                n = d["metadata"]["name"]
                if meta.get("labels", {}).get("sidecar.istio.io/inject") != "true":
                    raise AssertionError(f"{ns}/{n}: pod labels {meta.get('labels')}")
                if "istio-mesh/injected-by" not in meta.get("annotations", {}):
                    raise AssertionError(f"{ns}/{n}: no istio-mesh/injected-by annotation: {meta.get('annotations')}")
                names.append(n)
        return ", ".join(sorted(names))

    def check_registered(self) -> str:
        objs = self.k8s_objects()
        missing = []
        kinds: dict[str, int] = {}
        for urn, out in objs:
            meta = out.get("metadata") or {}
            if not out.get("kind") or not meta.get("name"):
                missing.append(f"{urn} (no outputs)")
                continue
            if self.kube.obj(out["apiVersion"], out["kind"], meta["name"], meta.get("namespace")) is None:
                missing.append(f"{out['kind']} {meta.get('namespace', '')}/{meta['name']}")
            kinds[out["kind"]] = kinds.get(out["kind"], 0) + 1
        if missing:
            raise AssertionError(f"{len(missing)} of {len(objs)} registered objects missing: {missing}")
        live = {
            f"{o.get('kind')} {(o.get('metadata') or {}).get('namespace', '')}/{(o.get('metadata') or {}).get('name')}"
            for _, o in objs
        }
        offline = self.offline_objects()
        if live != offline:
            raise AssertionError(
                f"state vs offline render: only in state {sorted(live - offline)}, only offline {sorted(offline - live)}"
            )
        return f"{len(objs)} objects, as the offline render: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))

    def offline_objects(self) -> set[str]:
        """The Kubernetes objects (Helm releases aside) the offline mock run registers for the same
        stack file, run in a child process (the mock runtime is process-wide)."""
        import subprocess

        code = (
            "import json, sys\n"
            "from pathlib import Path\n"
            "from mesh.offline import run_stack\n"
            "r = run_stack(sys.argv[1], Path(sys.argv[2]))\n"
            "print(json.dumps(sorted(f\"{x.inputs.get('kind')} {(x.inputs.get('metadata') or {}).get('namespace', '')}/\"\n"
            "    f\"{(x.inputs.get('metadata') or {}).get('name')}\" for x in r.registrations\n"
            "    if x.custom and x.type.startswith('kubernetes:') and x.type != 'kubernetes:helm.sh/v3:Release')))\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code, self.args.stack, str(self.work)],
            cwd=self.work, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"offline render failed: {proc.stderr[-2000:]}")
        names: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
        return set(names)

    def check_secret(self) -> str:
        enc = base64.b64encode(SECRET_VALUE.encode()).decode()
        ns = self.app_namespaces()[0]
        svc = self.base[f"{PROJECT}:services"][0]["name"]
        secret = self.kube.obj("v1", "Secret", f"{svc}-env", ns)
        if secret is None:
            raise AssertionError(f"no Secret {ns}/{svc}-env")
        if secret.get("data", {}).get(SECRET_KEY) != enc:
            raise AssertionError(f"Secret {ns}/{svc}-env data keys {sorted(secret.get('data', {}))}: value differs")
        # The Automation API's export_stack() runs `stack export --show-secrets`: what the state
        # holds is `pulumi stack export` without it, and the backend's files themselves.
        raw = self.raw_export()
        backend = "".join(
            p.read_text(encoding="utf-8", errors="replace") for p in (self.tmp / "state").rglob("*") if p.is_file()
        )
        deployments = json.dumps(self.kube.get(f"/apis/apps/v1/namespaces/{ns}/deployments"))
        for text, where in ((raw, "`pulumi stack export`"), (backend, "the backend's state files"),
                            (deployments, "the Deployments")):  # fmt: skip
            for needle in (SECRET_VALUE, enc):
                if needle in text:
                    raise AssertionError(f"secret value ({'base64' if needle == enc else 'plain'}) found in {where}")
        # Decrypted, every occurrence must sit inside a value the engine keeps secret.
        self.state()
        exposed = unwrapped_occurrences(json.loads(self.state_text), (SECRET_VALUE, enc))
        if exposed:
            raise AssertionError(f"secret value outside secret-marked values in the state at {exposed[:5]}")
        return (
            f"only in Secret {ns}/{svc}-env (base64); not in the state ({len(raw)} chars), backend files, Deployments"
        )

    def raw_export(self) -> str:
        import subprocess

        proc = subprocess.run(
            [self.args.pulumi, "stack", "export", "--stack", self.args.stack, "--cwd", str(self.work)],
            env={**os.environ, **self.env}, check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        return proc.stdout

    def check_clean(self) -> str:
        leftovers = []
        for kind in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
            for w in self.kube.get(f"/apis/admissionregistration.k8s.io/v1/{kind}")["items"]:
                if "istio" in w["metadata"]["name"]:
                    leftovers.append(f"{kind}/{w['metadata']['name']}")
        for s in self.kube.get("/api/v1/secrets?labelSelector=owner%3Dhelm")["items"]:
            leftovers.append(f"helm secret {s['metadata']['namespace']}/{s['metadata']['name']}")
        for ns in ("istio-system", "istio-ingress", *self.app_namespaces()):
            if self.kube.obj("v1", "Namespace", ns) is not None:
                leftovers.append(f"namespace {ns}")
        for kind in ("clusterroles", "clusterrolebindings"):
            for r in self.kube.get(f"/apis/rbac.authorization.k8s.io/v1/{kind}")["items"]:
                if "istio" in r["metadata"]["name"]:
                    leftovers.append(f"{kind}/{r['metadata']['name']}")
        if leftovers:
            raise AssertionError(f"left behind: {leftovers}")
        crds = [c for c in self.kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")["items"]
                if str(c["spec"]["group"]).endswith("istio.io")]  # fmt: skip
        return f"no webhooks, Helm secrets, namespaces or RBAC left ({len(crds)} Istio CRDs kept)"

    def wait_namespaces_gone(self) -> None:
        for ns in ("istio-system", "istio-ingress", *self.app_namespaces()):
            wait_until(f"namespace {ns} to be deleted", self.args.wait, self.gone("v1", "Namespace", ns))

    def gone(self, api_version: str, kind: str, name: str) -> Callable[[], bool]:
        return lambda: self.kube.obj(api_version, kind, name) is None

    def clean_after_destroy(self) -> str:
        self.wait_namespaces_gone()
        return self.check_clean()


SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""Pulumi's marker key of a secret value in state."""


def unwrapped_occurrences(value: Any, needles: tuple[str, ...], path: str = "") -> list[str]:
    """Where ``needles`` occur in ``value`` outside secret-marked objects."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return []
        return [p for k, v in value.items() for p in unwrapped_occurrences(v, needles, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in unwrapped_occurrences(v, needles, f"{path}[{i}]")]
    if isinstance(value, str) and any(n in value for n in needles):
        return [path]
    return []


def summary_of(res: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (res or {}).items()}


def run(args: argparse.Namespace) -> int:
    from pulumi.automation import events

    checks = Checks()
    t_start = time.monotonic()
    r = Run(args)
    c = checks.check

    def step_up(label: str) -> bool:
        return c(label, lambda: f"{summary_of(r.up().summary.resource_changes)}")

    try:
        ok = c("setup: provider plugin", r.install_provider)
        ok = ok and c("setup: stack", r.open_stack)
        ok = ok and c("setup: config (dev + e2e overrides, one secret env value)", lambda: r.set_config((90, 10)))
        if not ok:
            raise SystemExit(finish(checks, t_start, r))
        c("1 preview", lambda: f"{summary_of(r.preview().change_summary)}")
        if step_up("2 up"):
            c("3a Istio CRDs Established", r.check_crds)
            c("3b Helm releases deployed", r.check_helm)
            c("3c app namespace istio-injection=enabled", r.check_namespaces)
            c("3d Deployments: inject label + injected-by annotation", r.check_deployments)
            c("3e every registered object exists", r.check_registered)
            c("3f secret only in the Kubernetes Secret", r.check_secret)

            def idempotent() -> str:
                res = r.preview(expect_no_changes=True)
                changes = {k: v for k, v in summary_of(res.change_summary).items() if k != "same"}
                if changes:
                    raise AssertionError(f"changes: {changes}")
                return f"{summary_of(res.change_summary)}"

            c("4 preview --expect-no-changes", idempotent)

            def canary() -> str:
                r.set_config((50, 50))
                touched: dict[str, list[str]] = {"preview": [], "up": []}

                def collect(phase: str) -> Callable[[events.EngineEvent], None]:
                    def on_event(ev: events.EngineEvent) -> None:
                        pre = ev.resource_pre_event
                        if pre is not None and pre.metadata.op != events.OpType.SAME:
                            touched[phase].append(f"{pre.metadata.op.value} {pre.metadata.urn}")

                    return on_event

                pv = r.preview(on_event=collect("preview"))
                up = r.up(on_event=collect("up"))
                problems = []
                for phase in ("preview", "up"):
                    ok = (
                        len(touched[phase]) == 1
                        and touched[phase][0].startswith("update ")
                        and touched[phase][0].endswith(f"VirtualService::{CANARY_SERVICE}")
                    )
                    if not ok:
                        problems.append(f"{phase} touched {touched[phase]}")
                up_changes = {k: v for k, v in summary_of(up.summary.resource_changes).items() if k != "same"}
                if up_changes != {"update": 1}:
                    problems.append(f"up summary {up_changes}")
                pv_changes = {k: v for k, v in summary_of(pv.change_summary).items() if k != "same"}
                if pv_changes != {"update": 1}:
                    problems.append(f"preview summary {pv_changes}")
                vs = r.kube.obj("networking.istio.io/v1", "VirtualService", CANARY_SERVICE, r.app_namespaces()[0])
                weights = sorted(
                    d.get("weight", 0) for h in (vs or {}).get("spec", {}).get("http", []) for d in h.get("route", [])
                )
                if weights[-2:] != [50, 50]:
                    problems.append(f"VirtualService weights in the cluster: {weights}")
                if problems:
                    raise AssertionError("; ".join(problems))
                return f"only {touched['up'][0]}"

            c("5 canary weights change touches only the VirtualService", canary)
        else:
            args.no_second_up = True
        destroyed = c("6a destroy", lambda: f"{summary_of(r.destroy().summary.resource_changes)}")
        if destroyed:
            c("6b nothing left that blocks a new up", r.clean_after_destroy)
            if not args.no_second_up:
                r.set_config((90, 10))
                if step_up("7a second up in the same cluster"):
                    c("7b second up: Helm releases deployed", r.check_helm)
                if c("7c second destroy", lambda: f"{summary_of(r.destroy().summary.resource_changes)}"):
                    c(
                        "7d nothing left after the second destroy",
                        r.clean_after_destroy,
                    )
    finally:
        pass
    return finish(checks, t_start, r)


def finish(checks: Checks, t_start: float, r: Run) -> int:
    r.close()
    log(f"run time {time.monotonic() - t_start:.0f}s")
    if checks.failed:
        log("failed: " + "; ".join(checks.failed))
    print(f"{checks.passed} passed, {len(checks.failed)} failed", flush=True)
    return 1 if checks.failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("package", help="package the Istio charts into a chart repository folder")
    pk.add_argument("--charts", default=str(ROOT.parent / "shared" / "istio" / "charts"))
    pk.add_argument("--out", required=True)
    rn = sub.add_parser("run", help="run the checks against a cluster")
    rn.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"), help="default: $KUBECONFIG")
    rn.add_argument("--chart-repo", required=True, help="Helm repository URL serving base/istiod/gateway")
    rn.add_argument("--pulumi", default=os.environ.get("MESH_E2E_PULUMI") or shutil.which("pulumi") or "pulumi")
    rn.add_argument("--provider", default=os.environ.get("MESH_E2E_PULUMI_RESOURCE_KUBERNETES"),
                    help="pulumi-resource-kubernetes binary to register (default $MESH_E2E_PULUMI_RESOURCE_KUBERNETES)")  # fmt: skip
    rn.add_argument("--provider-version", default=os.environ.get("MESH_E2E_K8S_PLUGIN_VERSION", "4.34.2"))
    rn.add_argument("--stack", default="dev")
    rn.add_argument("--stack-file", default=str(ROOT / "Pulumi.dev.yaml"))
    rn.add_argument("--istio-version", default="1.30.3", help="the served charts' version")
    rn.add_argument("--wait", type=float, default=120, help="seconds to wait for namespaces to go")
    rn.add_argument("--no-second-up", action="store_true")
    rn.add_argument("--keep", action="store_true", help="keep the temp folder (state, PULUMI_HOME)")
    rn.add_argument("-v", "--verbose", action="store_true", help="print Pulumi's output")
    args = ap.parse_args(argv)
    if args.cmd == "package":
        for e in package_charts(Path(args.charts), Path(args.out)):
            print(f"{e['name']}-{e['version']}.tgz sha256:{e['digest']}")
        return 0
    if not args.kubeconfig:
        ap.error("--kubeconfig or $KUBECONFIG is required")
    sys.path.insert(0, str(ROOT))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

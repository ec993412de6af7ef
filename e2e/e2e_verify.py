"""The end-to-end checks against the API server and the state: what ``pulumi up`` left
in the cluster, and what ``pulumi destroy`` did not leave."""

import argparse
import base64
import gzip
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2e_common import PROJECT, ROOT, SECRET_KEY, SECRET_SIG, SECRET_VALUE, unwrapped_occurrences, wait_until
from e2e_kube import Kube


class Verify:
    """The checks, mixed into ``Run`` (which provides ``kube``, ``state``, ``base`` and ``args``)."""

    kube: Kube
    base: dict[str, Any]
    args: argparse.Namespace
    state_text: str
    tmp: Path
    """The run's temp folder (state backend, PULUMI_HOME, project)."""
    work: Path
    """The project folder the stack runs in."""
    env: dict[str, str]
    """The environment of the run's Pulumi commands."""

    def state(self) -> list[dict[str, Any]]:
        raise NotImplementedError

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

    @staticmethod
    def offline_name(obj: dict[str, Any]) -> str:
        """The name as render shows it: an object Pulumi named (`pulumi.com/autonamed`) ends
        in a random suffix, which render shows as `autoname`."""
        from mesh.offline import AUTONAME_SUFFIX

        meta = obj.get("metadata") or {}
        name = str(meta.get("name"))
        if (meta.get("annotations") or {}).get("pulumi.com/autonamed") == "true":
            return f"{name.rsplit('-', 1)[0]}-{AUTONAME_SUFFIX}"
        return name

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
            f"{o.get('kind')} {(o.get('metadata') or {}).get('namespace', '')}/{self.offline_name(o)}" for _, o in objs
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

    def env_secret(self) -> tuple[str, dict[str, Any]]:
        """The first service's env Secret, as its Deployments name it (Pulumi names it
        `<service>-env-<suffix>`): (name, object). Every Deployment of the service must
        name the same one, and it must be the only `<service>-env-…` Secret left."""
        ns = self.app_namespaces()[0]
        svc = self.base[f"{PROJECT}:services"][0]["name"]
        refs = {
            env["valueFrom"]["secretKeyRef"]["name"]
            for d in self.kube.get(f"/apis/apps/v1/namespaces/{ns}/deployments")["items"]
            if d["metadata"].get("labels", {}).get("app") == svc
            for c in d["spec"]["template"]["spec"]["containers"]
            for env in c.get("env", [])
            if "secretKeyRef" in env.get("valueFrom", {})
        }
        secrets = [
            s["metadata"]["name"]
            for s in self.kube.get(f"/api/v1/namespaces/{ns}/secrets")["items"]
            if s["metadata"]["name"].startswith(f"{svc}-env")
        ]
        if len(refs) != 1 or secrets != sorted(refs):
            raise AssertionError(f"{svc}'s Deployments refer to Secrets {sorted(refs)}; {ns} holds {secrets}")
        (name,) = refs
        return name, self.kube.obj("v1", "Secret", name, ns)

    def check_secret(self) -> str:
        enc = base64.b64encode(SECRET_VALUE.encode()).decode()
        ns = self.app_namespaces()[0]
        svc = self.base[f"{PROJECT}:services"][0]["name"]
        name, secret = self.env_secret()
        if not name.startswith(f"{svc}-env-"):
            raise AssertionError(f"the env Secret {ns}/{name} is not named by Pulumi")
        if secret.get("data", {}).get(SECRET_KEY) != enc:
            raise AssertionError(f"Secret {ns}/{name} data keys {sorted(secret.get('data', {}))}: value differs")
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
        return f"only in Secret {ns}/{name} (base64); not in the state ({len(raw)} chars), backend files, Deployments"

    def check_references(self) -> str:
        """What other languages order by: the control plane's `ready_releases` and each
        namespace's `namespace_resource` are, in the state, references to the very Helm
        releases and Namespace the engine created (not copies of their values)."""
        by_urn = {r["urn"]: r for r in self.state()}
        ref_sig = "5cf8f73096256a8f31e491e813e4eb8e"  # Pulumi's marker of a resource reference

        def refs(value: Any) -> list[str]:
            items = value if isinstance(value, list) else [value]
            return [i["urn"] for i in items if isinstance(i, dict) and i.get(SECRET_SIG) == ref_sig]

        problems: list[str] = []
        found: list[str] = []
        for r in by_urn.values():
            outputs = r.get("outputs") or {}
            key = {
                "istio-mesh:index:IstioControlPlane": "ready_releases",
                "istio-mesh:index:MeshNamespace": "namespace_resource",
            }.get(r["type"])
            if key is None:
                continue
            urns = refs(outputs.get(key))
            kinds = {by_urn[u]["type"] if u in by_urn else "missing" for u in urns}
            want = "kubernetes:helm.sh/v3:Release" if key == "ready_releases" else "kubernetes:core/v1:Namespace"
            if not urns or kinds != {want}:
                problems.append(f"{r['urn']}: {key} = {outputs.get(key)!r:.200}")
            found.append(f"{r['urn'].rsplit('::', 1)[-1]}.{key}: {len(urns)}")
        if problems or not found:
            raise AssertionError("; ".join(problems) or "no control plane or namespace component in the state")
        return ", ".join(found)

    def raw_export(self) -> str:
        import subprocess

        proc = subprocess.run(
            [self.args.pulumi, "stack", "export", "--stack", self.args.stack, "--cwd", str(self.work)],
            env={**os.environ, **self.env}, check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        return str(proc.stdout)

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

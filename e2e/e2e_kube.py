"""A small Kubernetes API client for the end-to-end checks (the kubeconfig's client
certificate, no other dependency), and bounded waiting."""

import base64
import json
import shutil
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

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

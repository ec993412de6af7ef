"""Shared pieces of the end-to-end run: constants, logging, chart packaging, named checks,
the stack config an e2e run uses, and the secret scan of the state."""

import copy
import hashlib
import io
import json
import os
import tarfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "service-mesh"
CHARTS = ("base", "istiod", "gateway")
SECRET_VALUE = "e2e-s3cr3t-value"
ROTATED_SECRET_VALUE = "e2e-r0tated-value"
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

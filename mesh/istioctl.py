"""Istio's own analyzer beside ours: ``istioctl analyze --use-kube=false`` on the objects of an
inventory, its messages as findings.

The objects go to a private folder as YAML (Helm releases aside: istioctl reads
manifests, not charts), istioctl reads them offline for every namespace, and each
of its messages becomes a finding with Istio's code and level. A message that our
analysis also reports (same code, same object) is not repeated.
"""

import json
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from mesh.analysis import ERROR, INFO, WARNING, Finding
from mesh.analysis.model import HELM_RELEASE, Inventory

LEVELS = {"Error": ERROR, "Warning": WARNING, "Info": INFO}
"""istioctl's levels as our severities."""
TIMEOUT_SECONDS = 300
"""istioctl analyzes a thousand objects in seconds; a bound, so that CI never hangs on it."""


class IstioctlError(ValueError):
    """istioctl could not be run, or said something that is not its JSON report."""


def manifests(inventory: Inventory) -> list[dict[str, Any]]:
    """What istioctl can read: every Kubernetes and Istio object, no Helm release."""
    return [r.inputs for r in inventory.custom() if r.type != HELM_RELEASE and "kind" in r.inputs]


def run_istioctl(istioctl: Path, objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """istioctl's messages for ``objects``, as its JSON report gives them."""
    with tempfile.TemporaryDirectory(prefix="mesh-istioctl-") as folder:
        path = Path(folder) / "objects"
        path.mkdir()
        for i, manifest in enumerate(objects):
            (path / f"{i:05d}.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        try:
            done = subprocess.run(
                [str(istioctl), "analyze", "--use-kube=false", "--all-namespaces", "--output", "json", str(path)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                cwd=folder,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise IstioctlError(f"{istioctl}: could not run: {err}") from None
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise IstioctlError(f"{istioctl} analyze exited {done.returncode}: {last}") from None
    if not isinstance(report, list):
        raise IstioctlError(f"{istioctl} analyze printed no list of messages")
    return [m for m in report if isinstance(m, dict)]


def _object(origin: str) -> str:
    """``VirtualService shop/review`` as findings name objects: ``VirtualService/shop/review``."""
    kind, _, rest = origin.partition(" ")
    return f"{kind}/{rest}" if rest else kind


def as_findings(messages: Iterable[dict[str, Any]]) -> list[Finding]:
    """istioctl's messages as findings."""
    return [
        Finding(
            str(m.get("code", "IST0000")),
            LEVELS.get(str(m.get("level")), WARNING),
            _object(str(m.get("origin", "(stack)"))),
            "",
            f"istioctl: {m.get('message', '')}",
            f"see {m['documentationUrl']}" if m.get("documentationUrl") else "see istioctl analyze",
        )
        for m in messages
    ]


def merged(ours: list[Finding], theirs: list[Finding]) -> list[Finding]:
    """Our findings, and those of istioctl's we do not already report (by code and object)."""
    known = {(f.code, f.object) for f in ours}
    return ours + [f for f in theirs if (f.code, f.object) not in known]


def istioctl_findings(inventory: Inventory, istioctl: Path) -> list[Finding]:
    """Run istioctl on an inventory; its messages as findings."""
    return as_findings(run_istioctl(istioctl, manifests(inventory)))

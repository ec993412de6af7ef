"""Render Istio's own Helm charts offline with Helm's engine (helm-python-sdk), with
the values the program produces, so that tests see what the values do: Helm ignores
a key a chart does not read, silently."""

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from istio_mesh.control_plane_spec import ReleaseSpec
from mesh.offline import PROJECT_DIR

CHARTS_ENV = "MESH_ISTIO_CHARTS"
CHARTS = Path(os.environ.get(CHARTS_ENV) or PROJECT_DIR.parent / "shared" / "istio" / "charts")
"""Istio 1.30.3's charts; 1.30.4 and 1.30.5 changed no chart value."""

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is not installed (requirements-dev.txt)")
needs_charts = pytest.mark.skipif(
    not (CHARTS / "istiod" / "Chart.yaml").exists(), reason=f"Istio charts not found at {CHARTS}; set {CHARTS_ENV}"
)


def render(chart: str, values: Mapping[str, Any], name: str, namespace: str) -> list[dict[str, Any]]:
    """Every object one chart renders, as an install would."""
    with helm.Chart.load(str(CHARTS / chart)) as loaded:
        rendered = loaded.render(dict(values), name=name, namespace=namespace, is_install=True)
    return [
        doc
        for path, text in sorted(rendered.items())
        if path.endswith((".yaml", ".yml"))
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def render_release(release: ReleaseSpec) -> list[dict[str, Any]]:
    """What a release of the plan installs."""
    chart = release.chart.rstrip("/").rsplit("/", 1)[-1]
    return render(chart, release.values, release.name, release.namespace)


def chart_values(chart: str) -> dict[str, Any]:
    """A chart's default values, its internal defaults flattened to the top as its templates do."""
    with helm.Chart.load(str(CHARTS / chart)) as loaded:
        values: dict[str, Any] = dict(loaded.values)
    inner = values.pop("_internal_defaults_do_not_set", {})
    return {**inner, **values}


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The single object of a kind (and name)."""
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''}: {[d['metadata']['name'] for d in found]}"
    return found[0]


@functools.cache
def template_reads(chart: str) -> tuple[frozenset[str], frozenset[str]]:
    """Dotted paths the chart's templates read from ``.Values`` (some, such as
    ``base.validationFailurePolicy``, have no default in values.yaml), and those
    they pass on whole (``toYaml``, or to a named template), which take any keys."""
    reads: set[str] = set()
    whole: set[str] = set()
    path_re = r"\$?\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)"
    for path in (CHARTS / chart).rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".tpl") and path.parent.name in ("templates", "files"):
            text = path.read_text(errors="replace")
            reads |= set(re.findall(path_re, text))
            whole |= set(re.findall(r"toYaml\s+\(?" + path_re, text))
            whole |= set(re.findall(path_re + r"\s*\|\s*toYaml", text))
            whole |= set(re.findall(r"include\s+\"[^\"]+\"\s+" + path_re + r"\s*[|}]", text))
            whole |= set(re.findall(r"with\s+" + path_re + r"\s*-?\}\}[^{]*\{\{-?\s*toYaml\s+\.", text))
    return frozenset(reads), frozenset(whole)


FREE_FORM = ("meshConfig",)
"""Maps the istiod chart merges whole into Istio's own API (MeshConfig): the
ConfigMap tests check what they render."""


def unread_keys(chart: str, values: Mapping[str, Any]) -> list[str]:
    """Key paths of ``values`` that the chart neither defaults nor reads: Helm would
    ignore them silently. A map the chart defaults to {} or passes on whole takes any keys."""
    defaults = chart_values(chart)
    reads, whole = template_reads(chart)

    def walk(path: tuple[str, ...], value: Mapping[str, Any], default: Any) -> list[str]:
        unknown = []
        for key, sub in value.items():
            dotted = ".".join((*path, key))
            if dotted in whole or dotted in FREE_FORM:
                continue
            sub_default = default.get(key) if isinstance(default, Mapping) else None
            known = (isinstance(default, Mapping) and key in default) or any(
                r == dotted or r.startswith(dotted + ".") for r in reads
            )
            if not known:
                unknown.append(dotted)
            elif isinstance(sub, Mapping) and not (isinstance(sub_default, Mapping) and not sub_default):
                unknown += walk((*path, key), sub, sub_default)
        return unknown

    return walk((), values, defaults)

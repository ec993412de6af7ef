"""Write what a stack registers as YAML, and summarise it."""

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from mesh.analysis.model import Resource, object_name
from mesh.offline import OfflineRun


def file_name(reg: Resource) -> str:
    """A stable file name: kind and object name, lower case."""
    return f"{reg.kind.lower()}-{object_name(reg)}.yaml"


def document(run: OfflineRun, reg: Resource) -> str:
    """One registration as YAML, headed by how Pulumi registers it."""
    by_urn = run.by_urn()
    deps = sorted(by_urn[u].name if u in by_urn else u for u in reg.dependencies)
    header = [f"# Pulumi resource {reg.type} {reg.name!r} in component {run.component_of(reg)!r}"]
    if deps:
        header.append(f"# depends on: {', '.join(deps)}")
    options = [name for name, on in (("protect", reg.protect), ("retainOnDelete", reg.retain_on_delete)) if on]
    if options:
        header.append(f"# options: {', '.join(options)}")
    first = [k for k in ("apiVersion", "kind", "metadata", "name", "chart") if k in reg.inputs]
    ordered = {k: _sorted(reg.inputs[k]) for k in [*first, *sorted(set(reg.inputs) - set(first))]}
    body = yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False)
    return "\n".join(header) + "\n" + body


def write(run: OfflineRun, out: Path) -> list[Path]:
    """Write every object under ``out/<component>/``; return the files written."""
    written = []
    # Manifest files applied as is (the Gateway API CRDs) are components to Pulumi; shown all the same.
    files = [r for r in run.resources if r.type == "kubernetes:yaml/v2:ConfigFile"]
    for reg in [*run.custom(), *files]:
        path = out / run.component_of(reg) / file_name(reg)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document(run, reg))
        written.append(path)
    outputs = out / "outputs.yaml"
    outputs.write_text(yaml.safe_dump(_plain(run.outputs), sort_keys=True))
    written.append(outputs)
    return written


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def summary(run: OfflineRun) -> str:
    """Objects per component and per kind, as two small tables."""
    per_component: dict[str, Counter[str]] = defaultdict(Counter)
    for reg in run.custom():
        per_component[run.component_of(reg)][reg.kind] += 1
    per_kind = Counter(reg.kind for reg in run.custom())
    width = max([len("component"), *map(len, per_component)])
    lines = [f"{'component':<{width}}  objects  kinds", f"{'-' * width}  -------  -----"]
    for component, kinds in per_component.items():
        listed = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in kinds.items())
        lines.append(f"{component:<{width}}  {sum(kinds.values()):>7}  {listed}")
    kwidth = max([len("kind"), *map(len, per_kind)])
    lines += ["", f"{'kind':<{kwidth}}  objects", f"{'-' * kwidth}  -------"]
    lines += [f"{kind:<{kwidth}}  {count:>7}" for kind, count in sorted(per_kind.items())]
    lines += [f"{'total':<{kwidth}}  {sum(per_kind.values()):>7}"]
    return "\n".join(lines)

"""Write what a stack registers as YAML, and summarise it."""

import io
from collections import Counter, defaultdict
from pathlib import Path
from typing import IO, Any, ClassVar

import yaml

from mesh.analysis.model import Resource, object_name
from mesh.offline import OfflineRun

_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter where PyYAML has it (the same YAML, many times faster), else PyYAML's own."""
_STR, _INT, _BOOL, _NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "int", "bool", "null"))
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Dumper(_DUMPER):  # type: ignore[misc]
    """``yaml.safe_dump``'s output, faster: plain data goes straight to nodes (no alias
    bookkeeping: manifests share no objects worth an anchor), and the emitter's question
    "would this text read back as a string?" is answered once per distinct text."""

    _resolved: ClassVar[dict[tuple[str, tuple[bool, ...]], str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode:
            return str(super().resolve(kind, value, implicit))
        key = (value, tuple(implicit))
        tag = self._resolved.get(key)
        if tag is None:
            tag = self._resolved[key] = super().resolve(kind, value, implicit)
        return tag

    def node(self, data: Any, sort: bool = True) -> yaml.Node:
        """The node ``safe_dump`` would build for ``data``, mapping keys sorted when ``sort``."""
        kind = type(data)
        if kind is str:
            return yaml.ScalarNode(_STR, data)
        if kind is dict:
            keys = sorted(data) if sort else list(data)
            return yaml.MappingNode(_MAP, [(self.node(k), self.node(data[k])) for k in keys], flow_style=False)
        if kind is list:
            return yaml.SequenceNode(_SEQ, [self.node(v) for v in data], flow_style=False)
        if kind is bool:
            return yaml.ScalarNode(_BOOL, "true" if data else "false")
        if kind is int:
            return yaml.ScalarNode(_INT, str(data))
        if data is None:
            return yaml.ScalarNode(_NULL, "null")
        node: yaml.Node = self.represent_data(data)  # floats and anything rarer, as safe_dump does
        return node


def dump(data: dict[str, Any], stream: IO[str]) -> None:
    """``yaml.safe_dump(data, stream, sort_keys=False)`` for the top level, nested mappings sorted."""
    dumper = _Dumper(stream, default_flow_style=False, sort_keys=False)
    try:
        dumper.open()
        top = yaml.MappingNode(_MAP, [(dumper.node(k), dumper.node(v)) for k, v in data.items()], flow_style=False)
        dumper.serialize(top)
        dumper.close()
    finally:
        dumper.dispose()


def file_name(reg: Resource) -> str:
    """A stable file name: kind and object name, lower case."""
    return f"{reg.kind.lower()}-{object_name(reg)}.yaml"


def document(run: OfflineRun, reg: Resource, component: str | None = None) -> str:
    """One registration as YAML, headed by how Pulumi registers it."""
    by_urn = run.by_urn()
    deps = sorted(by_urn[u].name if u in by_urn else u for u in reg.dependencies)
    component = run.component_of(reg) if component is None else component
    header = [f"# Pulumi resource {reg.type} {reg.name!r} in component {component!r}"]
    if deps:
        header.append(f"# depends on: {', '.join(deps)}")
    options = [name for name, on in (("protect", reg.protect), ("retainOnDelete", reg.retain_on_delete)) if on]
    if options:
        header.append(f"# options: {', '.join(options)}")
    first = [k for k in ("apiVersion", "kind", "metadata", "name", "chart") if k in reg.inputs]
    ordered = {k: reg.inputs[k] for k in [*first, *sorted(set(reg.inputs) - set(first))]}
    body = io.StringIO()
    dump(ordered, body)
    return "\n".join(header) + "\n" + body.getvalue()


def write(run: OfflineRun, out: Path) -> list[Path]:
    """Write every object under ``out/<component>/``; return the files written."""
    written = []
    # Manifest files applied as is (the Gateway API CRDs) are components to Pulumi; shown all the same.
    files = [r for r in run.resources if r.type == "kubernetes:yaml/v2:ConfigFile"]
    folders: set[Path] = set()
    for reg in [*run.custom(), *files]:
        # One object at a time, straight to its file: nothing of the whole stack is held as text.
        component = run.component_of(reg)
        path = out / component / file_name(reg)
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        with path.open("w", encoding="utf-8") as stream:
            stream.write(document(run, reg, component))
        written.append(path)
    outputs = out / "outputs.yaml"
    outputs.write_text(yaml.safe_dump(_plain(run.outputs), sort_keys=True))
    written.append(outputs)
    return written


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

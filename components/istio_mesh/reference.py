"""The package's schema, as Pulumi's component analyzer derives it, and its docs.

``python -m istio_mesh.reference`` rewrites ``schema.json`` and the argument
reference in ``README.md`` beside the package; tests fail when either is stale,
so a change to the public API always shows up as a diff.
"""

import ast
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from pulumi.provider.experimental.component import ComponentProvider

from istio_mesh import IstioControlPlane, MeshNamespace, MeshService, __version__, defaults

PACKAGE = "istio-mesh"
COMPONENTS = [IstioControlPlane, MeshNamespace, MeshService]
ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- reference:start -->", "<!-- reference:end -->"
DEFAULTS_START, DEFAULTS_END = "<!-- defaults:start -->", "<!-- defaults:end -->"


def provider() -> ComponentProvider:
    """The provider that hosts the components, as `pulumi package add` runs it."""
    return ComponentProvider(list(COMPONENTS), PACKAGE, version=__version__)


def schema() -> dict[str, Any]:
    """The package schema, its descriptions dedented as Python 3.13 compiles docstrings,
    so that it reads the same on every supported Python."""
    text = provider().schema
    assert text is not None
    loaded: dict[str, Any] = _dedented(json.loads(text))
    return loaded


def _dedented(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: inspect.cleandoc(v) if k == "description" and isinstance(v, str) else _dedented(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_dedented(v) for v in value]
    return value


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit(":", 1)[-1].removeprefix("#/types/").replace("pulumi.json#/", "")
    if prop.get("type") == "array":
        return f"list[{_type(prop['items'])}]"
    if prop.get("type") == "object" and "additionalProperties" in prop:
        return f"map[{_type(prop['additionalProperties'])}]"
    return str(prop.get("type", "any"))


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def _table(props: dict[str, Any], required: list[str]) -> list[str]:
    lines = ["| input | type | required | meaning and default |", "|---|---|---|---|"]
    for name, prop in props.items():
        lines.append(
            f"| `{name}` | {_type(prop)} | {'yes' if name in required else ''} | {_cell(prop.get('description'))} |"
        )
    return lines


def markdown(sch: dict[str, Any]) -> str:
    """Every component's inputs and outputs and every type, as Markdown."""
    lines: list[str] = []
    for token, res in sch["resources"].items():
        lines += [f"### {token.rsplit(':', 1)[-1]} (`{token}`)", "", _cell(res.get("description")), ""]
        lines += [*_table(res.get("inputProperties", {}), res.get("requiredInputs", [])), ""]
        outputs = ", ".join(f"`{k}` ({_type(v)})" for k, v in res.get("properties", {}).items())
        lines += [f"Outputs: {outputs}", ""]
    for token, typ in sorted(sch["types"].items()):
        lines += [f"#### {token.rsplit(':', 1)[-1]}", "", _cell(typ.get("description")), ""]
        if "enum" in typ:
            lines += [f"- `{e['value']}`: {_cell(e.get('description'))}" for e in typ["enum"]] + [""]
        else:
            lines += [*_table(typ.get("properties", {}), typ.get("required", [])), ""]
    return "\n".join(lines).rstrip() + "\n"


def _docstrings(body: list[ast.stmt]) -> dict[str, str]:
    """Each assignment's name and the docstring under it."""
    docs: dict[str, str] = {}
    for node, following in zip(body, [*body[1:], None], strict=True):
        target = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target = node.target.id
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
        if target and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            docs[target] = inspect.cleandoc(str(following.value.value))
    return docs


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def defaults_table() -> dict[str, dict[str, Any]]:
    """Every default of ``istio_mesh.defaults``, as ``<ArgumentType>.<key>`` (then each fixed
    name), with its value and the docstring that gives its reason."""
    module = ast.parse(Path(defaults.__file__).read_text()).body
    classes = {node.name: _docstrings(node.body) for node in module if isinstance(node, ast.ClassDef)}
    table: dict[str, dict[str, Any]] = {}
    for argument, instance in defaults.TABLES.items():
        reasons: dict[str, str] = {}
        for cls in reversed(type(instance).__mro__):
            reasons |= classes.get(cls.__name__, {})
        for key, value in instance.as_dict().items():
            table[f"{argument}.{key}"] = {"value": _plain(value), "why": reasons.get(key, "")}
    tables = {name for name, value in vars(defaults).items() if isinstance(value, defaults.Table)}
    for name, doc in _docstrings(module).items():
        if name.isupper() and name not in tables and name != "TABLES":
            table[name] = {"value": getattr(defaults, name), "why": doc}
    return table


def defaults_markdown(table: dict[str, dict[str, Any]]) -> str:
    """The defaults as a Markdown table."""
    lines = ["| argument or name | value | why |", "|---|---|---|"]
    lines += [f"| `{n}` | `{json.dumps(d['value'])}` | {_cell(d['why'])} |" for n, d in table.items()]
    return "\n".join(lines) + "\n"


def _section(text: str, start: str, end: str, content: str) -> str:
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{content}{end}{tail}"


def readme_with(readme: str, reference: str) -> str:
    """The README with its reference and defaults sections replaced."""
    readme = _section(readme, START, END, reference)
    return _section(readme, DEFAULTS_START, DEFAULTS_END, defaults_markdown(defaults_table()))


def main() -> int:
    """Rewrite schema.json and the README's reference."""
    sch = schema()
    (ROOT / "schema.json").write_text(json.dumps(sch, indent=2, sort_keys=True) + "\n")
    values = {name: entry["value"] for name, entry in defaults_table().items()}
    (ROOT / "defaults.json").write_text(json.dumps(values, indent=2) + "\n")
    readme = ROOT / "README.md"
    readme.write_text(readme_with(readme.read_text(), markdown(sch)))
    print(f"wrote {ROOT / 'schema.json'} and the reference in {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The committed schema and the README's reference match the code."""

import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any, get_type_hints

from istio_mesh import args, defaults
from istio_mesh.reference import (
    DEFAULTS_END,
    DEFAULTS_START,
    END,
    START,
    defaults_markdown,
    defaults_table,
    markdown,
    schema,
)

# The source folder beside these tests, whether the package is installed or editable.
ROOT = Path(__file__).resolve().parent.parent

HINT = "the public API changed: run `python -m istio_mesh.reference` in components/ and commit the diff"


def without_kubernetes_version(sch: dict[str, Any]) -> dict[str, Any]:
    """The schema with the Kubernetes package's version left out: resource references
    name the pulumi-kubernetes release installed, which may be any of the pinned range."""
    text = re.sub(r"/kubernetes/v[0-9][^/]*/", "/kubernetes/v*/", json.dumps(sch))
    out: dict[str, Any] = json.loads(text)
    out["dependencies"] = [{**d, "version": "*"} if d["name"] == "kubernetes" else d for d in out["dependencies"]]
    return out


def test_the_schema_snapshot_matches_the_analyzer():
    committed = json.loads((ROOT / "schema.json").read_text())
    assert without_kubernetes_version(schema()) == without_kubernetes_version(committed), HINT


def test_resource_references_name_the_installed_kubernetes_package():
    """Other languages pass the control plane's releases and the namespace as references
    to pulumi-kubernetes resources: the schema depends on that package, as installed."""
    sch = schema()
    assert sch["dependencies"] == [{"name": "kubernetes", "version": version("pulumi-kubernetes")}]
    service = sch["resources"]["istio-mesh:index:MeshService"]["inputProperties"]
    release = f"/kubernetes/v{version('pulumi-kubernetes')}/schema.json#/resources/kubernetes:helm.sh%2Fv3:Release"
    assert service["namespaceResource"]["$ref"].endswith("#/resources/kubernetes:core%2Fv1:Namespace")
    assert service["controlPlaneReady"]["items"]["$ref"] == release
    namespace = sch["resources"]["istio-mesh:index:MeshNamespace"]
    assert namespace["inputProperties"]["controlPlaneReady"]["items"]["$ref"] == release
    assert namespace["properties"]["namespaceResource"]["$ref"].endswith("kubernetes:core%2Fv1:Namespace")
    cp = sch["resources"]["istio-mesh:index:IstioControlPlane"]["properties"]
    assert cp["readyReleases"]["items"]["$ref"] == release


def test_the_readme_reference_matches_the_schema():
    readme = (ROOT / "README.md").read_text()
    section = readme.split(START, 1)[1].split(END, 1)[0]
    assert section.strip() == markdown(schema()).strip(), HINT


def _description(argument: str, key: str) -> str:
    """The schema's description of ``key`` of ``argument`` (an argument type's name)."""
    sch = schema()
    components = {"IstioControlPlaneArgs": "IstioControlPlane", "MeshServiceArgs": "MeshService"}
    components["MeshNamespaceArgs"] = "MeshNamespace"
    camel = key.split("_")[0] + "".join(part[:1].upper() + part[1:] for part in key.split("_")[1:])
    if argument in components:
        props = sch["resources"][f"istio-mesh:index:{components[argument]}"]["inputProperties"]
    else:
        props = sch["types"][f"istio-mesh:index:{argument}"]["properties"]
    return " ".join(str(props[camel].get("description", "")).split())


def _quoted(value: object) -> list[str]:
    """How an argument's docstring may quote a default."""
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value)), str(value)]
    if isinstance(value, str):
        return [json.dumps(value), value] if value else ['""']
    if isinstance(value, tuple):
        return [json.dumps(list(value))]
    return [str(value)]


def test_every_argument_documents_the_default_its_table_holds():
    wrong = []
    for argument, table in defaults.TABLES.items():
        if "." in argument:  # IstiodArgs.resources: one description names all four sizes
            owner, key = argument.split(".")
            text = _description(owner, key)
            wrong += [f"{argument}.{k}" for k, v in table.as_dict().items() if str(v) not in text]
            continue
        hints = get_type_hints(getattr(args, argument))
        for key, value in table.as_dict().items():
            assert key in hints, f"defaults.{type(table).__name__}.{key} is no key of {argument}"
            text = _description(argument, key)
            if isinstance(value, tuple) and len(value) > 2:
                ok = "Default:" in text  # a long list is described, not quoted
            else:
                ok = any(f"Default: {q}" in text for q in _quoted(value))
            if not ok:
                wrong.append(f"{argument}.{key} = {value!r}: {text!r}")
    assert wrong == []


def test_every_default_is_pinned_by_the_committed_snapshot():
    committed = json.loads((ROOT / "defaults.json").read_text())
    assert committed == {name: entry["value"] for name, entry in defaults_table().items()}, HINT
    tables = {f"{a}.{k}" for a, t in defaults.TABLES.items() for k in t.as_dict()}
    fixed = {name for name, v in vars(defaults).items() if name.isupper() and not isinstance(v, defaults.Table)}
    assert set(committed) == tables | (fixed - {"TABLES"})


def test_every_default_says_why():
    assert [name for name, entry in defaults_table().items() if len(entry["why"]) < 10] == []


def test_the_readme_defaults_table_is_generated_from_the_code():
    readme = (ROOT / "README.md").read_text()
    section = readme.split(DEFAULTS_START, 1)[1].split(DEFAULTS_END, 1)[0]
    assert section.strip() == defaults_markdown(defaults_table()).strip(), HINT

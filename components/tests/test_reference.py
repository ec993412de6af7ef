"""The committed schema and the README's reference match the code."""

import json
from pathlib import Path

from istio_mesh import defaults
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


def test_the_schema_snapshot_matches_the_analyzer():
    committed = json.loads((ROOT / "schema.json").read_text())
    assert schema() == committed, HINT


def test_the_readme_reference_matches_the_schema():
    readme = (ROOT / "README.md").read_text()
    section = readme.split(START, 1)[1].split(END, 1)[0]
    assert section.strip() == markdown(schema()).strip(), HINT


def test_documented_defaults_are_the_ones_in_use():
    types = schema()["types"]
    resources = schema()["resources"]
    cp = resources["istio-mesh:index:IstioControlPlane"]["inputProperties"]
    assert f'Default: "{defaults.ISTIO_VERSION}"' in cp["version"]["description"]
    assert defaults.CHART_REPOSITORY in cp["repository"]["description"]
    assert f"Default: {defaults.HELM_TIMEOUT_SECONDS}." in cp["timeoutSeconds"]["description"]
    svc = resources["istio-mesh:index:MeshService"]["inputProperties"]
    assert f"Default: {defaults.REPLICAS}." in svc["replicas"]["description"]
    assert f'Default: "{defaults.ROUTE_TIMEOUT}"' in svc["timeout"]["description"]
    assert f"Default: {defaults.RUN_AS_USER}," in svc["runAsUser"]["description"]
    retry = types["istio-mesh:index:RetryArgs"]["properties"]
    assert f"Default: {defaults.RETRY_ATTEMPTS}," in retry["attempts"]["description"]
    assert defaults.RETRY_ON in "".join(retry["retryOn"]["description"].split())
    res = types["istio-mesh:index:ResourcesArgs"]["properties"]
    for key, value in defaults.APP_RESOURCES.items():
        camel = key.split("_")[0] + key.split("_")[1].title()
        assert f'Default: "{value}"' in res[camel]["description"]


def test_every_default_is_pinned_by_the_committed_snapshot():
    committed = json.loads((ROOT / "defaults.json").read_text())
    assert committed == {name: entry["value"] for name, entry in defaults_table().items()}, HINT
    public = {name for name in vars(defaults) if name.isupper()}
    assert set(committed) == public


def test_every_default_says_why():
    assert [name for name, entry in defaults_table().items() if len(entry["why"]) < 10] == []


def test_the_readme_defaults_table_is_generated_from_the_code():
    readme = (ROOT / "README.md").read_text()
    section = readme.split(DEFAULTS_START, 1)[1].split(DEFAULTS_END, 1)[0]
    assert section.strip() == defaults_markdown(defaults_table()).strip(), HINT

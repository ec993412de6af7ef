"""Render writes what the program registers, and all of it is valid."""

import pytest
import yaml

from mesh import render
from mesh.analysis.schemas import is_istio, istio_schemas, kubernetes_errors
from tests.conftest import crds, needs_crds


def test_render_writes_one_stable_file_per_object_and_the_outputs(stacks, tmp_path):
    files = render.write(stacks["dev"], tmp_path)
    names = sorted(str(p.relative_to(tmp_path)) for p in files)
    assert "review/deployment-review-v1.yaml" in names
    assert "istio/release-istiod.yaml" in names
    assert len(names) == len(stacks["dev"].custom()) + 1
    again = render.write(stacks["dev"], tmp_path / "again")
    assert [p.read_text() for p in files] == [p.read_text() for p in again]


def test_a_rendered_helm_release_carries_chart_repository_version_and_values(stacks, tmp_path):
    render.write(stacks["dev"], tmp_path)
    text = (tmp_path / "istio" / "release-istiod.yaml").read_text()
    assert text.startswith(
        "# Pulumi resource kubernetes:helm.sh/v3:Release 'istio-istiod' in component 'istio'\n# depends on: istio-base"
    )
    doc = yaml.safe_load(text)
    assert doc["chart"] == "istiod" and doc["version"] == "1.30.5"
    assert doc["repositoryOpts"] == {"repo": "https://istio-release.storage.googleapis.com/charts"}
    assert doc["values"]["base"]["validationFailurePolicy"] == "Fail"


def test_the_summary_counts_objects_per_component_and_kind(stacks):
    text = render.summary(stacks["dev"])
    assert "review" in text and "Release x3" in text
    assert text.splitlines()[-1].split() == ["total", str(len(stacks["dev"].custom()))]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_kubernetes_object_is_valid_under_strict_schemas(stacks, stack):
    for reg in stacks[stack].custom():
        if reg.kind != "Release" and not is_istio(reg.inputs):
            assert kubernetes_errors(reg.inputs) == [], reg.name


@needs_crds
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_istio_object_is_valid_under_istios_crds(stacks, stack):
    schemas = istio_schemas(crds())
    checked = 0
    for reg in stacks[stack].custom():
        if is_istio(reg.inputs):
            assert reg.inputs["apiVersion"].endswith("/v1")
            assert schemas.errors(reg.inputs) == [], reg.name
            checked += 1
    assert checked >= 10


@needs_crds
def test_the_crd_schemas_reject_unknown_fields():
    bad = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "x"},
        "spec": {"hosts": ["a"], "htpp": []},
    }
    assert any("htpp" in e for e in istio_schemas(crds()).errors(bad))


@needs_crds
def test_every_cel_rule_of_the_crds_is_evaluated():
    schemas = istio_schemas(crds())
    assert schemas.cel_skipped == []


@needs_crds
@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "DestinationRule",
                "metadata": {"name": "x"},
                "spec": {"host": "a", "trafficPolicy": {"connectionPool": {"tcp": {"connectTimeout": "0s"}}}},
            },
            "spec.trafficPolicy.connectionPool.tcp.connectTimeout: must be a valid duration greater than 1ms",
        ),
        (
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "ServiceEntry",
                "metadata": {"name": "x"},
                "spec": {
                    "hosts": ["a.com"],
                    "ports": [
                        {"number": 443, "name": "a", "protocol": "TLS"},
                        {"number": 443, "name": "b", "protocol": "TLS"},
                    ],
                },
            },
            "spec.ports: port number cannot be duplicated",
        ),
        (
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "RequestAuthentication",
                "metadata": {"name": "x"},
                "spec": {"jwtRules": [{"issuer": "a", "jwksUri": "ftp://keys"}]},
            },
            "spec.jwtRules.0.jwksUri: url must have scheme http:// or https://",
        ),
    ],
)
def test_cel_rules_of_the_crds_reject_what_the_api_server_would(manifest, message):
    assert istio_schemas(crds()).errors(manifest) == [message]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_written_file_is_valid_under_the_schemas(stacks, stack, tmp_path):
    files = [p for p in render.write(stacks[stack], tmp_path) if p.name != "outputs.yaml"]
    schemas = istio_schemas(crds()) if crds().exists() else None
    for path in files:
        doc = yaml.safe_load(path.read_text())
        if path.name.startswith("release-"):
            assert {"chart", "version", "values", "namespace"} <= set(doc), path
        elif is_istio(doc):
            if schemas:
                assert schemas.errors(doc) == [], path
        else:
            assert kubernetes_errors(doc) == [], path

"""Small parts of the analysis with rules of their own: where Go's module cache is, and
the Pod Istio's gateway chart makes from its values."""

from pathlib import Path

from mesh.analysis.model import HELM_RELEASE, Inventory, Resource
from mesh.analysis.pods import pods
from mesh.analysis.schemas import go_module_cache


def test_go_s_module_cache_is_gomodcache_else_the_first_gopath_else_home(monkeypatch, tmp_path):
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GOPATH", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert go_module_cache() == tmp_path / "cache"
    monkeypatch.setenv("GOMODCACHE", "")
    assert go_module_cache() == tmp_path / "a" / "pkg" / "mod"
    monkeypatch.delenv("GOPATH")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert go_module_cache() == Path(tmp_path / "home") / "go" / "pkg" / "mod"


def gateway(values):
    inputs = {"name": "edge-gw", "chart": "gateway", "namespace": "edge", "values": values}
    return Resource(HELM_RELEASE, "gateway", "planned:release:gateway", "", (), False, False, True, inputs)


def test_the_gateway_pod_takes_its_labels_account_and_revision_from_the_chart_values():
    (default,) = pods(Inventory([gateway({})]))
    assert default.labels == {"app": "edge-gw", "istio": "edge-gw", "sidecar.istio.io/inject": "true"}
    assert default.service_account == "edge-gw"
    (named,) = pods(Inventory([gateway({"name": "istio-front", "labels": {"team": 7}})]))
    assert named.labels == {"app": "istio-front", "istio": "front", "team": "7", "sidecar.istio.io/inject": "true"}
    values = {
        "labels": {"app": "edge", "istio": "ingress"},
        "revision": "canary",
        "serviceAccount": {"create": False},
        "podAnnotations": {"a": 1},
    }
    (custom,) = pods(Inventory([gateway(values)]))
    assert custom.labels == {
        "app": "edge",
        "istio": "ingress",
        "sidecar.istio.io/inject": "true",
        "istio.io/rev": "canary",
    }
    assert (custom.service_account, custom.annotations, custom.namespace) == ("default", {"a": "1"}, "edge")


def test_a_template_s_deprecated_service_account_field_still_names_its_identity():
    template = {"metadata": {"labels": {"app": "a"}}, "spec": {"serviceAccount": "legacy", "containers": []}}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "a", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": template},
    }
    (pod,) = pods(Inventory.of_manifests([deployment]))
    assert pod.service_account == "legacy"
    template["spec"]["serviceAccountName"] = "current"
    (pod,) = pods(Inventory.of_manifests([deployment]))
    assert pod.service_account == "current"
    del template["spec"]["serviceAccountName"], template["spec"]["serviceAccount"]
    (pod,) = pods(Inventory.of_manifests([deployment]))
    assert pod.service_account == "default"

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


def test_a_service_uses_its_own_waypoint_else_its_namespace_s_and_none_means_none():
    from mesh.analysis.authorization import waypoints_by_service

    def service(name, **labels):
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "shop", "labels": labels},
        }

    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"istio.io/use-waypoint": "shop-wp"}},
    }
    inventory = Inventory.of_manifests(
        [
            namespace,
            service("a"),
            service("b", **{"istio.io/use-waypoint": "b-wp"}),
            service("c", **{"istio.io/use-waypoint": "none"}),
        ]
    )
    assert waypoints_by_service(inventory) == {("shop", "a"): "shop-wp", ("shop", "b"): "b-wp"}


def test_a_listener_certificate_in_another_namespace_is_looked_for_there():
    from mesh.analysis.gateway_api import gateway_api_findings

    ref = {"group": "", "kind": "Secret", "name": "shop-tls", "namespace": "certs"}
    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "istio-ingress"},
        "spec": {
            "gatewayClassName": "istio",
            "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"certificateRefs": [ref]}}],
        },
    }
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "shop-tls", "namespace": "certs"}}
    assert [
        f.code for f in gateway_api_findings(Inventory.of_manifests([gateway, secret])) if f.code == "MESH0503"
    ] == []
    in_gateway_ns = {**secret, "metadata": {"name": "shop-tls", "namespace": "istio-ingress"}}
    found = gateway_api_findings(Inventory.of_manifests([gateway, in_gateway_ns]))
    assert [f.code for f in found if f.code == "MESH0503"] == ["MESH0503"]


def test_a_destination_rule_for_a_short_service_entry_host_resolves_it_in_their_namespace():
    from mesh.analysis import check

    entry = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"hosts": ["api"], "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}], "resolution": "DNS"},
    }
    rule = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"host": "api"},
    }
    assert [f for f in check(Inventory.of_manifests([entry, rule])) if f.code == "IST0174"] == []
    elsewhere = {**rule, "metadata": {"name": "api", "namespace": "other"}}
    assert [f.code for f in check(Inventory.of_manifests([entry, elsewhere])) if f.code == "IST0174"] == ["IST0174"]


def test_a_crd_file_problem_names_the_file_as_the_user_named_it(tmp_path, monkeypatch):
    import pytest

    from mesh.analysis.schemas import CrdFileError, load_istio_schemas

    (tmp_path / "crds.yaml").write_text("kind: ConfigMap\napiVersion: v1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CrdFileError) as err:
        load_istio_schemas("crds.yaml")
    assert str(err.value).startswith("crds.yaml") and str(tmp_path) not in str(err.value)


def test_every_istio_chart_at_a_vulnerable_version_is_warned_about():
    from mesh.analysis.upgrades import vulnerable_versions

    for chart in ("base", "istiod", "gateway", "cni", "ztunnel"):
        release = {"name": chart, "chart": chart, "version": "1.30.3", "namespace": "istio-system"}
        assert [f.code for f in vulnerable_versions([release])] == ["MESH0501"], chart
    assert (
        vulnerable_versions([{"name": "x", "chart": "kiali", "version": "1.30.3", "namespace": "istio-system"}]) == []
    )


def test_shapes_keep_the_values_an_array_schema_constrains_and_free_those_it_does_not():
    from mesh.analysis.schema_rules import Shapes

    free = Shapes({"type": "object", "properties": {"ports": {"type": "array", "items": {"type": "integer"}}}})
    assert free.key({"ports": [1]}) == free.key({"ports": [2]})  # any integer: one shape
    assert free.key({"ports": [1]}) != free.key({"ports": [1, 2]})  # the number of items is kept
    for constraint in ({"enum": [[1]]}, {"const": [1]}, {"uniqueItems": True}, {"contains": {"const": 1}}):
        schema = {"type": "array", "items": {"type": "integer"}, **constraint}
        kept = Shapes({"type": "object", "properties": {"ports": schema}})
        assert kept.key({"ports": [1]}) != kept.key({"ports": [2]}), constraint


def test_a_service_port_without_a_name_is_ist0118_naming_the_empty_name():
    from mesh.analysis import check

    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "a", "namespace": "shop"},
        "spec": {"selector": {"app": "a"}, "ports": [{"port": 80}]},
    }
    (found,) = [f for f in check(Inventory.of_manifests([svc])) if f.code == "IST0118"]
    assert (found.path, found.message) == ("spec.ports[0].name", "port name '' gives Istio no protocol")


def test_a_cycle_of_schema_references_is_kept_verbatim_not_followed_forever():
    from mesh.analysis.schema_rules import Shapes

    shapes = Shapes({"$ref": "#/definitions/a"}, {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}})
    assert shapes.key({"x": 1}) != shapes.key({"x": 2})


def test_resources_sharing_a_urn_are_mesh0302_and_unnamed_manifests_get_distinct_names():
    from mesh.analysis.uniqueness import uniqueness_findings

    a = Resource("kubernetes:core/v1:ConfigMap", "a", "urn:x", "", (), False, False, True, {"metadata": {"name": "a"}})
    b = Resource("kubernetes:core/v1:ConfigMap", "b", "urn:x", "", (), False, False, True, {"metadata": {"name": "b"}})
    found = [f.as_dict() for f in uniqueness_findings(Inventory([a, b])) if f.code == "MESH0302"]
    assert [(f["object"], f["path"], f["message"]) for f in found] == [
        ("ConfigMap/b", "", "URN urn:x is also that of 'a'")
    ]
    unnamed = Inventory.of_manifests([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}] * 2)
    assert [r.name for r in unnamed.resources] == ["0", "1"]


def test_an_object_larger_than_the_api_server_takes_is_mesh0303_with_its_size():
    from mesh.analysis.uniqueness import uniqueness_findings

    big = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big", "namespace": "shop"},
        "data": {"k": "x" * 2 * 2**20},
    }
    found = [f for f in uniqueness_findings(Inventory.of_manifests([big])) if f.code == "MESH0303"]
    assert [(f.object, f.message) for f in found] == [("ConfigMap/shop/big", "2.0 MiB")]


def test_a_cel_rule_that_does_not_compile_is_skipped_and_the_next_ones_still_apply():
    import celpy

    from mesh.analysis.schema_rules import CelRule, _cel_rules

    schema = {
        "x-kubernetes-validations": [{"rule": "self.(("}, {"rule": "self.a > 0", "message": "a must be positive"}]
    }
    out: list[CelRule] = []
    skipped: list[str] = []
    _cel_rules(schema, (), celpy.Environment(), out, skipped)
    assert skipped == ["self.(("]
    assert [(r.rule, r.message) for r in out] == [("self.a > 0", "a must be positive")]


def test_a_manifest_without_metadata_is_named_by_its_position():
    unnamed = Inventory.of_manifests([{"apiVersion": "v1", "kind": "ConfigMap"}])
    assert [r.name for r in unnamed.resources] == ["0"]

"""MeshNamespace's manifests, built as pure data."""

import pytest

from istio_mesh.namespace_spec import external_name, mesh_namespace_spec
from istio_mesh.validation import ArgsError


def test_the_namespace_is_labelled_for_the_default_revision_and_denies_by_default():
    spec = mesh_namespace_spec("shop", {})
    assert spec.namespace["metadata"] == {"name": "shop", "labels": {"istio-injection": "enabled"}}
    (deny,) = spec.policies
    assert deny["kind"] == "AuthorizationPolicy" and deny["spec"] == {"action": "ALLOW"}


def test_a_revision_uses_the_rev_label_only_and_default_deny_can_be_off():
    spec = mesh_namespace_spec("shop", {"revision": "canary", "default_deny": False, "labels": {"team": "a"}})
    assert spec.namespace["metadata"]["labels"] == {"team": "a", "istio.io/rev": "canary"}
    assert spec.policies == ()


def test_a_namespace_mtls_mode_adds_its_own_peer_authentication():
    (pa,) = [
        p
        for p in mesh_namespace_spec("shop", {"mtls_mode": "PERMISSIVE"}).policies
        if p["kind"] == "PeerAuthentication"
    ]
    assert pa["metadata"] == {"name": "default", "namespace": "shop"} and pa["spec"]["mtls"]["mode"] == "PERMISSIVE"


def test_external_hosts_become_service_entries_exported_to_the_mesh():
    spec = mesh_namespace_spec(
        "shop",
        {"external_hosts": [{"host": "api.stripe.com"}, {"host": "db.example.com", "port": 5432, "protocol": "TCP"}]},
    )
    entries = [p for p in spec.policies if p["kind"] == "ServiceEntry"]
    assert [e["metadata"]["name"] for e in entries] == ["external-api-stripe-com", "external-db-example-com"]
    assert entries[0]["spec"]["ports"] == [{"number": 443, "name": "tls-443", "protocol": "TLS"}]
    assert entries[1]["spec"]["ports"][0]["protocol"] == "TCP"
    assert entries[0]["spec"]["exportTo"] == ["*"] and entries[0]["spec"]["location"] == "MESH_EXTERNAL"
    assert external_name("a.b") == "external-a-b"


def test_injection_labels_set_by_hand_and_bad_hosts_are_rejected():
    with pytest.raises(ArgsError) as err:
        mesh_namespace_spec(
            "shop",
            {
                "labels": {"istio-injection": "enabled"},
                "external_hosts": [{"host": "Bad Host"}, {"host": "a.com", "port": 0}],
            },
        )
    text = str(err.value)
    assert (
        "args.labels.istio-injection" in text
        and "args.external_hosts[0].host" in text
        and "args.external_hosts[1].port" in text
    )

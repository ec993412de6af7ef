"""The helpers other modules build names and references with: port names, volume names, revisions."""

import pytest

from istio_mesh import defaults
from istio_mesh.args import Protocol
from istio_mesh.revision_validation import cidr, declared_revisions, domain, label_value, revision_ref_problems
from istio_mesh.service_validation import http_method, port_name, version_ref, volume_name
from istio_mesh.shape import Problem


def test_a_port_is_named_after_its_protocol_then_its_optional_suffix():
    assert port_name({"port": 80}) == "http"
    assert port_name({"port": 80, "name": ""}) == "http"
    assert port_name({"port": 80, "protocol": "grpc", "name": "api"}) == "grpc-api"
    assert port_name({"port": 80, "protocol": Protocol.TCP}) == "tcp"


@pytest.mark.parametrize(
    ("path", "volume"),
    [
        ("/tmp", "writable-tmp"),
        ("/var/cache/", "writable-var-cache"),
        ("/Var//Run.d", "writable-var-run-d"),
        ("/données", "writable-donn-es"),
        ("/", "writable"),
        ("/" + "a" * 60 + "/b", "writable-" + "a" * 54),
        ("/" + "a" * 53 + "/b", "writable-" + "a" * 53),
    ],
)
def test_a_writable_path_becomes_a_dns_label_volume_name(path, volume):
    assert volume_name(path) == volume
    assert len(volume) <= 63


def test_an_http_method_is_upper_case_and_a_lower_case_one_gets_a_suggestion():
    assert http_method("DELETE", "m") == []
    assert http_method("delete", "m") == [
        Problem(
            "m",
            "'delete' (did you mean 'DELETE'?); allowed: GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH "
            "(Istio compares case-sensitively)",
        )
    ]


def test_a_version_reference_names_the_declared_versions_or_none():
    assert version_ref("v1", "p", {"v1"}) == []
    assert version_ref("v11", "p", {"v2", "v1"}) == [
        Problem("p", "unknown version 'v11' (did you mean 'v1'?); allowed: v1, v2")
    ]
    assert version_ref("v1", "p", set()) == [Problem("p", "unknown version 'v1'; allowed: none declared")]


def test_declared_revisions_map_each_name_to_its_version_or_the_base_one():
    assert declared_revisions({}) == {"": defaults.CONTROL_PLANE.version}
    assert declared_revisions({"revision": "canary", "version": "1.29.0"}) == {"canary": "1.29.0"}
    assert declared_revisions(
        {"version": "1.30.1", "revisions": [{"name": "a"}, {"name": "b", "version": "1.29.0"}]}
    ) == {
        "a": "1.30.1",
        "b": "1.29.0",
    }


def test_a_reference_to_the_default_revision_is_fine_only_without_revisions():
    assert revision_ref_problems({}, "", "p") == []
    assert revision_ref_problems({"revision": "canary"}, "canary", "p") == []
    assert revision_ref_problems({"revisions": [{"name": "a"}], "tags": {"prod": "a"}}, "prod", "p") == []
    assert revision_ref_problems({"revisions": [{"name": "a"}]}, "a", "p") == []
    assert revision_ref_problems({"revisions": [], "tags": {}}, "", "p") == [
        Problem("p", "'' is no revision: with `revisions`, name a tag; allowed: none declared")
    ]
    assert revision_ref_problems({"tags": {"b": "x", "a": "x"}, "revisions": [{"name": "z"}]}, "c", "p") == [
        Problem("p", "'c' is no declared revision tag or revision; allowed: a, b, z")
    ]


def test_a_domain_is_a_dns_name_without_wildcard():
    assert domain("cluster.local") is None
    assert domain("*.local") == "'*.local' is not a DNS name such as 'cluster.local'"
    assert domain("Cluster") == "'Cluster' is not a DNS name such as 'cluster.local'"


def test_a_label_value_may_be_empty_and_is_at_most_63_characters():
    assert label_value("") is None
    assert label_value("a" * 63) is None
    assert label_value("a" * 64) == (
        f"{'a' * 64!r} is not a label value: at most 63 of a-z, A-Z, 0-9, '-', '_', '.', alphanumeric at both ends"
    )
    assert label_value("a-") is not None


def test_a_cidr_has_no_host_bits_set():
    assert cidr("10.0.0.0/8", "p") == []
    assert cidr("fc00::/7", "p") == []
    assert cidr("10.0.0.1/8", "p") == [Problem("p", "'10.0.0.1/8' is not a CIDR such as '10.0.0.0/8' or 'fc00::/7'")]

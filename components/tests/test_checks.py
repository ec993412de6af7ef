"""The shared checks: their boundaries and the messages users read, at the key path given."""

import math

import pytest

from istio_mesh import checks
from istio_mesh.shape import Problem

DEFAULTS = {"cpu_request": "100m", "cpu_limit": "500m", "memory_request": "128Mi", "memory_limit": "256Mi"}


def test_a_value_not_known_yet_is_left_to_the_api_server():
    assert checks.rule(lambda v: "bad", object(), "p") == []
    assert checks.rule(lambda v: "bad", "x", "p") == [Problem("p", "bad")]
    assert checks.rule(lambda v: None, "x", "p") == []
    assert checks.dns_label(None, "p") == []  # type: ignore[arg-type]


def test_a_dns_label_problem_names_what_the_value_is_for():
    [problem] = checks.dns_label("Shop", "namespace", "a namespace")
    assert problem.path == "namespace"
    assert problem.message.startswith("'Shop' is not a namespace: ")
    assert checks.dns_label("shop", "namespace") == []
    assert checks.dns_label("Shop", "n")[0].message.startswith("'Shop' is not a DNS label: ")


def test_a_range_includes_both_ends_and_refuses_nan():
    assert checks.in_range(1, 1, 10, "p") == []
    assert checks.in_range(10, 1, 10, "p") == []
    assert checks.in_range(11, 1, 10, "p") == [Problem("p", "11 is out of range; allowed: 1 to 10")]
    assert checks.in_range(0, 1, 10, "p") == [Problem("p", "0 is out of range; allowed: 1 to 10")]
    assert checks.in_range(math.nan, 1, 10, "p") != []


def test_at_least_includes_its_bound_and_says_why():
    assert checks.at_least(30, 30, "p") == []
    assert checks.at_least(29, 30, "p", " (the probe period)") == [
        Problem("p", "29 is too small; allowed: at least 30 (the probe period)")
    ]
    assert checks.at_least(29, 30, "p") == [Problem("p", "29 is too small; allowed: at least 30")]


def test_durations_are_checked_only_for_the_keys_given_and_present():
    obj = {"timeout": "0s", "interval": "5", "other": "0s", "delay": "1s"}
    assert checks.durations(obj, ["timeout", "interval", "delay", "absent"], "route") == [
        Problem("route.timeout", '\'0s\' is not a duration of at least 1ms; allowed: such as "500ms", "2s", "1m30s"'),
        Problem("route.interval", '\'5\' is not a duration of at least 1ms; allowed: such as "500ms", "2s", "1m30s"'),
    ]


@pytest.mark.parametrize("value", ["/healthz", "/a/b?c=d"])
def test_an_absolute_path_is_accepted(value):
    assert checks.absolute_path(value, "p") == []


@pytest.mark.parametrize("value", ["healthz", "/a b", "/a\tb", "/a\nb", ""])
def test_a_relative_path_or_one_with_spaces_or_control_characters_is_refused(value):
    assert checks.absolute_path(value, "health_path") == [
        Problem("health_path", f"{value!r}: allowed: a path starting with '/', without spaces or control characters")
    ]


def test_printable_text_is_non_empty_without_control_characters_or_surrounding_spaces():
    assert checks.printable("acme corp", "p") == []
    assert checks.printable(None, "p") == []  # type: ignore[arg-type]
    for bad in ["", " x", "x ", "a\x00b"]:
        assert checks.printable(bad, "p", "an issuer") == [
            Problem("p", f"{bad!r}: allowed: non-empty an issuer without control characters or surrounding spaces")
        ]
    assert (
        checks.printable("", "p")[0].message
        == "'': allowed: non-empty text without control characters or surrounding spaces"
    )


def test_a_request_may_equal_its_limit():
    assert checks.resources({"cpu_request": "500m", "cpu_limit": "0.5"}, DEFAULTS, "resources") == []


def test_a_request_above_its_limit_is_named_at_the_request():
    assert checks.resources({"cpu_request": "2", "cpu_limit": "1"}, DEFAULTS, "resources") == [
        Problem("resources.cpu_request", "request 2 is above limit 1; allowed: a request at most its limit")
    ]


def test_a_request_above_the_default_limit_says_the_limit_is_the_default():
    assert checks.resources({"memory_request": "1Gi"}, DEFAULTS, "resources") == [
        Problem(
            "resources.memory_request",
            "request 1Gi is above limit 256Mi (the default); allowed: a request at most its limit",
        )
    ]
    assert checks.resources({"cpu_limit": "50m"}, DEFAULTS, "r") == [
        Problem("r.cpu_limit", "request 100m is above limit 50m (the default); allowed: a request at most its limit")
    ]


def test_a_bad_quantity_and_a_zero_limit_are_refused_and_not_compared():
    assert checks.resources({"cpu_request": "lots", "cpu_limit": "0", "memory_request": "0"}, DEFAULTS, "r") == [
        Problem("r.cpu_request", '\'lots\' is not a Kubernetes quantity; allowed: such as "250m", "1", "128Mi"'),
        Problem("r.cpu_limit", "a limit of 0 lets nothing run; allowed: more than 0"),
    ]


def test_quantities_not_known_yet_are_not_compared():
    assert checks.resources({"cpu_request": object(), "cpu_limit": "1m"}, DEFAULTS, "r") == []  # type: ignore[dict-item]
    assert checks.resources({"cpu_request": "2", "cpu_limit": object()}, DEFAULTS, "r") == []  # type: ignore[dict-item]
    assert checks.resources({}, DEFAULTS, "r") == []


def test_a_reserved_namespace_names_its_owner_and_every_reserved_one():
    assert checks.reserved_namespace("kube-system", "namespace") == [
        Problem(
            "namespace",
            "'kube-system' belongs to the cluster; not allowed here: kube-node-lease, kube-public, kube-system",
        )
    ]
    assert checks.reserved_namespace("istio-system", "namespace", {"istio-system": "the control plane"}) == [
        Problem(
            "namespace",
            "'istio-system' belongs to the control plane; not allowed here: istio-system, kube-node-lease, "
            "kube-public, kube-system",
        )
    ]
    assert checks.reserved_namespace("shop", "namespace") == []


class Later:
    """A value known only at deployment."""


def test_a_quantity_not_known_yet_does_not_stop_the_checks_of_the_others():
    res = {"cpu_request": Later(), "cpu_limit": "lots", "memory_request": "1Gi"}
    assert checks.resources(res, DEFAULTS, "r") == [  # type: ignore[arg-type]
        Problem("r.cpu_limit", '\'lots\' is not a Kubernetes quantity; allowed: such as "250m", "1", "128Mi"'),
        Problem(
            "r.memory_request", "request 1Gi is above limit 256Mi (the default); allowed: a request at most its limit"
        ),
    ]


def test_a_bad_quantity_is_not_compared_with_the_default_on_the_other_side():
    assert checks.resources({"cpu_request": "lots", "cpu_limit": "50m"}, DEFAULTS, "r") == [
        Problem("r.cpu_request", '\'lots\' is not a Kubernetes quantity; allowed: such as "250m", "1", "128Mi"')
    ]
    assert checks.resources({"cpu_request": "1", "cpu_limit": "lots"}, DEFAULTS, "r") == [
        Problem("r.cpu_limit", '\'lots\' is not a Kubernetes quantity; allowed: such as "250m", "1", "128Mi"')
    ]

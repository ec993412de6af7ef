"""The shape check's error output, at its key paths, for a corpus of bad inputs (a golden snapshot)."""

import typing
from enum import Enum

import pytest

from istio_mesh.args import IstioControlPlaneArgs
from istio_mesh.service_args import MeshServiceArgs
from istio_mesh.shape import ArgsError, Problem, check_shape, did_you_mean, is_known, join, plain, raise_if, shaped

CORPUS = {
    "a service that is not an object": (5, "  - services[0]: expected an object, got 5"),
    "a service without its required keys": (
        {},
        "  - services[0].namespace: required: text\n"
        "  - services[0].ports: required: a list of objects\n"
        "  - services[0].versions: required: a list of objects",
    ),
    "scalars of the wrong type": (
        {
            "namespace": 1,
            "versions": [{"name": "v1", "image": "x", "replicas": True}],
            "ports": [{"port": "80", "protocol": "htp"}],
            "run_as_user": 1.5,
            "disruption_budget": "yes",
            "traffic_policy": {"outlier_detection": {"max_ejection_percent": None}},
        },
        "  - services[0].disruption_budget: expected true or false, got 'yes'\n"
        "  - services[0].namespace: expected text, got 1\n"
        "  - services[0].ports[0].port: expected a whole number, got '80'\n"
        "  - services[0].ports[0].protocol: expected one of http, http2, grpc, tcp, got 'htp' (did you mean 'http'?)\n"
        "  - services[0].run_as_user: expected a whole number, got 1.5\n"
        "  - services[0].traffic_policy.outlier_detection.max_ejection_percent: expected a whole number, got nothing\n"
        "  - services[0].versions[0].replicas: expected a whole number, got true",
    ),
    "lists and maps of the wrong kind": (
        {
            "namespace": "shop",
            "versions": {"name": "v1"},
            "ports": [5, {"port": 80, "protocol": False}],
            "env": ["A"],
            "secret_env": {1: "x"},
            "routes": [{"match": [{"headers": {"x-user": "y", "x/y": {}}}]}],
            "allowed_callers": None,
        },
        "  - services[0].allowed_callers: expected a list of objects, got nothing\n"
        "  - services[0].env: expected a map of text, got a list\n"
        "  - services[0].ports[0]: expected an object, got 5\n"
        "  - services[0].ports[1].protocol: expected one of http, http2, grpc, tcp, got false\n"
        "  - services[0].routes[0].match[0].headers.x-user: expected an object, got 'y'\n"
        "  - services[0].secret_env['1']: keys must be text\n"
        "  - services[0].versions: expected a list of objects, got an object",
    ),
}


class Later:
    """A value known only at deployment, as Pulumi's Outputs and awaitables are."""

    def __await__(self):
        yield


def test_inputs_must_be_their_type_or_a_value_known_later_and_lists_name_their_items():
    value = {
        "namespace": "shop",
        "versions": [{"name": "v1", "image": 5}, {"name": "v2", "image": Later()}],
        "ports": [{"port": 80}],
        "egress_hosts": "x",
        "writable_paths": [1],
        "env": {"A": 1, "B": Later()},
        "routes": [{"match": [{"headers": 3}]}],
    }
    assert [str(p) for p in check_shape(value, MeshServiceArgs, "s")] == [
        "s.versions[0].image: expected text, got 5",
        "s.env.A: expected text, got 1",
        "s.routes[0].match[0].headers: expected a map of an object, got 3",
        "s.writable_paths[0]: expected text, got 1",
        "s.egress_hosts: expected a list of text, got 'x'",
    ]


def test_control_plane_numbers_required_enums_and_free_values_name_their_type():
    value = {
        "tracing_sampling_percent": "x",
        "base_values": 3,
        "istiod_values": {"a": {"b": 1}},
        "tags": {"a": 1},
        "tracing": {"service": "x"},
        "revisions": [{}],
    }
    assert [str(p) for p in check_shape(value, IstioControlPlaneArgs, "cp")] == [
        "cp.revisions[0].name: required: text",
        "cp.tags.a: expected text, got 1",
        "cp.tracing_sampling_percent: expected a number, got 'x'",
        "cp.tracing.provider: required: one of opentelemetry, zipkin",
        "cp.base_values: expected a map of typing.Any, got 3",
    ]


@pytest.mark.parametrize("case", CORPUS)
def test_bad_service_arguments_are_reported_at_their_key_paths_sorted(case):
    value, expected = CORPUS[case]
    problems = check_shape(value, MeshServiceArgs, "services[0]")
    error = ArgsError(problems, "MeshService shop/review")
    count = expected.count("\n") + 1
    assert str(error) == f"{count} problem{'s' if count > 1 else ''} in MeshService shop/review:\n{expected}"


def test_an_unknown_key_suggests_the_closest_and_lists_every_allowed_key_sorted():
    value = {"namespace": "shop", "versions": [], "ports": [], "replica": 2}
    [problem] = check_shape(value, MeshServiceArgs, "services[0]")
    allowed = sorted(typing.get_type_hints(MeshServiceArgs))
    assert allowed[:3] == ["allowed_callers", "automount_service_account_token", "autoscaling"]
    assert problem == Problem(
        "services[0].replica", f"unknown key (did you mean 'replicas'?); allowed: {', '.join(allowed)}"
    )


def test_an_unknown_key_far_from_every_allowed_one_gets_no_suggestion():
    [problem] = check_shape({"namespace": "shop", "versions": [], "ports": [], "zzz": 1}, MeshServiceArgs, "s")
    assert problem.message.startswith("unknown key; allowed: allowed_callers, ")


def test_a_valid_service_has_no_problems_and_its_plain_value_holds_enum_values():
    class Colour(Enum):
        RED = "red"

    value = {"namespace": "shop", "versions": [{"name": "v1", "image": "x"}], "ports": [{"port": 80}]}
    assert check_shape(value, MeshServiceArgs, "s") == []
    assert shaped(value, MeshServiceArgs, "s") == ([], value)
    assert shaped({}, MeshServiceArgs, "s")[1] == {}
    assert plain({"a": [Colour.RED, {"b": Colour.RED}], "c": 1}) == {"a": ["red", {"b": "red"}], "c": 1}


def test_one_problem_is_singular_and_problems_are_deduplicated():
    twice = [Problem("b", "x"), Problem("a", "y"), Problem("b", "x")]
    assert str(ArgsError(twice)) == "2 problems in arguments:\n  - a: y\n  - b: x"
    assert str(ArgsError([Problem("a", "y")], "MeshNamespace shop")) == "1 problem in MeshNamespace shop:\n  - a: y"
    with pytest.raises(ArgsError, match="1 problem in it:"):
        raise_if([Problem("a", "y")], "it")
    raise_if([], "it")


def test_key_paths_index_lists_dot_identifiers_and_quote_other_keys():
    assert join("", "services") == "services"
    assert join("services", 0) == "services[0]"
    assert join("env", "LOG_LEVEL") == "env.LOG_LEVEL"
    assert join("headers", "x-user") == "headers.x-user"
    assert join("headers", "x user") == "headers['x user']"
    assert join("labels", "app.kubernetes.io/name") == "labels['app.kubernetes.io/name']"
    assert join("", "1st") == "['1st']"


def test_a_suggestion_needs_a_close_enough_word():
    assert did_you_mean("htp", ["http", "tcp"]) == " (did you mean 'http'?)"
    assert did_you_mean("xyz", ["http", "tcp"]) == ""


class OutputLike:
    """What Pulumi's Output offers: apply and is_secret."""

    def apply(self):
        return self

    def is_secret(self):
        return False


class OnlyApply:
    def apply(self):
        return self


class OnlySecret:
    is_secret = False


def test_a_value_is_known_unless_it_is_awaitable_or_an_output():
    assert is_known("x")
    assert is_known({"a": 1})
    assert not is_known(Later())
    assert not is_known(OutputLike())
    assert is_known(OnlyApply())
    assert is_known(OnlySecret())

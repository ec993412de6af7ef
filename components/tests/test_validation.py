"""Validation of component arguments: every problem at once, each with its key path."""

import pytest
from conftest import service_args
from hypothesis import given, settings
from hypothesis import strategies as st

from istio_mesh import args as a
from istio_mesh.shape import _conforms, _shape_problems
from istio_mesh.validation import (
    ArgsError,
    check_shape,
    control_plane_problems,
    mesh_service_problems,
    port_name,
)


def paths(problems):
    return {p.path for p in problems}


def test_an_unknown_key_is_rejected_with_a_suggestion_and_the_allowed_keys():
    problems = check_shape({"namespace": "x", "versoins": [], "ports": []}, a.MeshServiceArgs, "args")
    unknown = next(p for p in problems if p.path == "args.versoins")
    assert "did you mean 'versions'?" in unknown.message
    assert "allowed:" in unknown.message and "replicas" in unknown.message


def test_a_missing_required_key_and_a_wrong_type_are_reported_together():
    problems = check_shape({"namespace": 3, "ports": [{"port": "80"}]}, a.MeshServiceArgs, "args")
    assert paths(problems) == {"args.namespace", "args.versions", "args.ports[0].port"}


def test_an_enum_value_outside_its_members_names_the_allowed_ones():
    problems = check_shape({"port": 80, "protocol": "htp"}, a.PortArgs, "p")
    assert problems[0].path == "p.protocol"
    assert "http, http2, grpc, tcp" in problems[0].message and "did you mean 'http'" in problems[0].message


def test_booleans_are_not_accepted_as_numbers():
    assert check_shape(True, int, "x") and check_shape(True, float, "x")
    assert not check_shape(2, float, "x")


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"namespace": "Shop"}, "args.namespace"),
        ({"ports": [{"port": 70000}]}, "args.ports[0].port"),
        ({"ports": [{"port": 80}, {"port": 80, "name": "b"}]}, "args.ports[1].port"),
        ({"ports": [{"port": 80, "name": "much-too-long-name"}]}, "args.ports[0].name"),
        ({"versions": []}, "args.versions"),
        ({"versions": [{"name": "v1", "image": "a"}, {"name": "v1", "image": "b"}]}, "args.versions[1].name"),
        ({"env": {"1BAD": "x"}}, "args.env['1BAD']"),
        ({"timeout": "10 seconds"}, "args.timeout"),
        ({"resources": {"cpu_request": "lots"}}, "args.resources.cpu_request"),
        ({"routes": [{"destinations": [{"version": "v9"}]}]}, "args.routes[0].destinations[0].version"),
        ({"routes": [{"destinations": [{"version": "v1", "weight": 90}]}]}, "args.routes[0].destinations[0].weight"),
        ({"routes": [{"name": "all"}, {"name": "late", "match": [{"uri_prefix": "/a"}]}]}, "args.routes[0].match"),
        ({"routes": [{"match": [{"uri_prefix": "api"}]}]}, "args.routes[0].match[0].uri_prefix"),
        (
            {"routes": [{"match": [{"headers": {"end-user": {"exact": "a", "prefix": "b"}}}]}]},
            "args.routes[0].match[0].headers.end-user",
        ),
        ({"routes": [{"fault": {"delay_percent": 10}}]}, "args.routes[0].fault"),
        ({"routes": [{"fault": {"abort_status": 700}}]}, "args.routes[0].fault.abort_status"),
        ({"routes": [{"mirror": {"version": "v2"}}]}, "args.routes[0].mirror.version"),
        (
            {"traffic_policy": {"outlier_detection": {"max_ejection_percent": 150}}},
            "args.traffic_policy.outlier_detection.max_ejection_percent",
        ),
        ({"expose": {"gateway": "no-slash"}}, "args.expose.gateway"),
        ({"writable_paths": ["tmp"]}, "args.writable_paths[0]"),
        ({"run_as_user": 0}, "args.run_as_user"),
        ({"egress_hosts": ["not a host"]}, "args.egress_hosts[0]"),
        ({"ports": [{"port": 5432, "protocol": "tcp"}], "routes": [{"name": "r"}]}, "args.routes"),
    ],
)
def test_each_meaningless_value_is_reported_at_its_key_path(override, path):
    assert path in paths(mesh_service_problems(service_args(**override), "args"))


def test_weights_that_add_up_to_100_are_accepted():
    args = service_args(
        versions=[{"name": "v1", "image": "a"}, {"name": "v2", "image": "b"}],
        routes=[{"destinations": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10}]}],
    )
    assert mesh_service_problems(args, "args") == []


def test_args_error_lists_every_problem_in_one_message():
    err = ArgsError(mesh_service_problems(service_args(namespace="Bad", replicas=-1), "args"), "x")
    assert "2 problems in x" in str(err)
    assert "args.namespace" in str(err) and "args.replicas" in str(err)


def test_a_port_name_starts_with_its_protocol():
    assert port_name({"port": 1}) == "http"
    assert port_name({"port": 1, "protocol": a.Protocol.GRPC, "name": "api"}) == "grpc-api"


def test_control_plane_args_are_checked_for_meaning():
    problems = control_plane_problems(
        {
            "version": "latest",
            "repository": "ftp://x",
            "istiod": {"replicas": 0},
            "gateway": {"namespace": "istio-system"},
        },
        "istio",
    )
    assert paths(problems) == {"istio.version", "istio.repository", "istio.istiod.replicas", "istio.gateway.namespace"}


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 70000),
    st.floats(allow_nan=False),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["http", "grpc", "LEAST_REQUEST", "ROUND_ROBIN", "v1"]),
)


def _paths(value, prefix=()):
    """Every node's path in ``value``: keys and list indexes from the root."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*prefix, key))


def _with(value, path, new):
    """``value`` with the node at ``path`` replaced by ``new``, or removed when ``new`` is DELETE."""
    head, rest = path[0], path[1:]
    if rest:
        new = _with(value[head], rest, new)
    if isinstance(value, dict):
        return {k: v for k, v in {**value, head: new}.items() if v is not DELETE}
    return [v for v in [*value[:head], new, *value[head + 1 :]] if v is not DELETE]


DELETE = object()


SEED = service_args(
    versions=[{"name": "v1", "image": "a:1", "replicas": 2}],
    ports=[{"port": 9080, "protocol": "http"}],
    replicas=2,
    traffic_policy={"load_balancer": "LEAST_REQUEST", "outlier_detection": {"consecutive_5xx_errors": 5}},
    env={"A": "b"},
)
SERVICE_PATHS = list(_paths(SEED))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(SERVICE_PATHS[1:]), JUNK, st.sampled_from(["set", "add", "delete"])), max_size=3)
)
def test_the_quick_shape_check_agrees_with_the_one_that_names_problems(changes):
    value = SEED
    for path, junk, how in changes:
        target = (*path, "extra") if how == "add" else path
        try:
            value = _with(value, target, DELETE if how == "delete" else junk)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this path, or it leads into a scalar
    assert _conforms(a.MeshServiceArgs)(value) == (not _shape_problems(value, a.MeshServiceArgs, "args"))

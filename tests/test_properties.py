"""Adversarial stack configs, generated: each is either refused with key paths and nothing
registered, or planned into objects that pass the strict schemas and are unique."""

import copy
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from istio_mesh import ArgsError
from mesh.analysis import Inventory, preflight
from mesh.analysis.schemas import crd_path, is_istio, istio_schemas, kubernetes_errors
from mesh.analysis.uniqueness import uniqueness_findings
from mesh.config import load
from mesh.environment import plan_environment
from mesh.stackfile import PROJECT_DIR, stack_config
from tests.test_edges import P, dev, up
from tests.test_risks import dev_services

NAMES = st.sampled_from(
    [
        "product",
        "review",
        "rating",
        "product-ingress",
        "allow-nothing",
        "review-canary",
        "canary-v1",
        "v1",
        "a",
        "x" * 63,
    ]
)
NASTY_TEXT = st.one_of(
    NAMES,
    st.sampled_from(
        ["", " ", "v1\n", "V1", "9lives", "-a", "a-", "a--b", "ä", "istio-system", "kube-system", "default", "x" * 64]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)
NUMBERS = st.one_of(st.sampled_from([0, 1, -1, 63, 64, 65535, 65536, 2**31, 10**30]), st.integers(-5, 200))
QUANTITIES = st.one_of(st.sampled_from(["100m", "1", "0", "1Gi", "1e3", "1.5", "-1", "1Gi\n", "abc", "2"]), NASTY_TEXT)

# (where in a service, value strategy): each example changes a few of these.
SERVICE_FIELDS: list[tuple[tuple[Any, ...], Any]] = [
    (("name",), NASTY_TEXT),
    (("namespace",), NASTY_TEXT),
    (("versions", 0, "name"), NASTY_TEXT),
    (("versions", 0, "image"), st.one_of(NASTY_TEXT, st.sampled_from(["a/b:1", "A/b:1", "a/b@sha256:" + "f" * 64]))),
    (("versions", 0, "replicas"), NUMBERS),
    (("ports", 0, "port"), NUMBERS),
    (("ports", 0, "name"), NASTY_TEXT),
    (("replicas",), NUMBERS),
    (("resources",), st.fixed_dictionaries({}, optional={"cpu_request": QUANTITIES, "cpu_limit": QUANTITIES})),
    (("env",), st.dictionaries(NASTY_TEXT, NASTY_TEXT, max_size=2)),
    (("timeout",), st.one_of(NASTY_TEXT, st.sampled_from(["1ms", "0s", "1h", "2s"]))),
    (
        ("writable_paths",),
        st.lists(st.sampled_from(["/tmp", "/var/tmp", "/var-tmp", "/", "tmp", "/a/../b"]), max_size=3),
    ),
    (("autoscaling",), st.fixed_dictionaries({"max_replicas": NUMBERS})),
    (("health_path",), st.sampled_from(["/h", "h", "/h\n", "/a b"])),
    (("calls",), st.lists(st.fixed_dictionaries({"service": NAMES}), max_size=2)),
]


@st.composite
def configs(draw: st.DrawFn) -> dict[str, str]:
    services = dev_services()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(services)))
        if index == len(services):
            services.append(copy.deepcopy(services[2]) | {"name": draw(NAMES)})
        where, values = draw(st.sampled_from(SERVICE_FIELDS))
        target: Any = services[index]
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = draw(values)
    changes: dict[str, Any] = {"services": services}
    if draw(st.booleans()):
        changes["namespace"] = draw(NASTY_TEXT)
    if draw(st.booleans()):
        changes["external_hosts"] = draw(
            st.lists(st.fixed_dictionaries({"host": st.one_of(NASTY_TEXT, st.just("*.example.com"))}), max_size=2)
        )
    return dev(**changes)


def planned(config: dict[str, str]) -> list[dict[str, Any]] | list[str]:
    """The planned manifests, or the key paths of the problems."""
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{P}:")}
    try:
        return plan_environment(load(raw)).manifests()
    except ArgsError as err:
        return [p.path for p in err.problems]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_an_adversarial_config_is_refused_at_key_paths_or_planned_valid_and_unique(config):
    outcome = planned(config)
    if outcome and isinstance(outcome[0], str):
        assert all(path.startswith(f"{P}:") for path in outcome), outcome
        return
    manifests: list[dict[str, Any]] = outcome  # type: ignore[assignment]
    assert uniqueness_findings(Inventory.of_manifests(manifests)) == []
    crds = crd_path()
    for manifest in manifests:
        if is_istio(manifest):
            if crds.exists():
                assert istio_schemas(crds).errors(manifest) == [], manifest
        else:
            assert kubernetes_errors(manifest) == [], manifest


@settings(max_examples=15, deadline=None)
@given(configs())
def test_the_program_itself_stops_on_what_the_plan_refuses_and_never_with_a_traceback(config):
    message, result = up(config)
    outcome = planned(config)
    refused = bool(outcome) and isinstance(outcome[0], str)
    assert (result is None) == refused or "in the planned mesh" in message
    assert "Traceback" not in message
    if refused:
        assert all(f"  - {path}: " in message for path in outcome)  # type: ignore[operator]
    json.dumps(message)


def _stack_values(stack: str, stack_file: Any = None) -> dict[str, Any]:
    config = stack_config(stack, stack_file=stack_file)
    return {
        k.split(":", 1)[1]: json.loads(v) if v[:1] in "[{" else v for k, v in config.items() if k.startswith(f"{P}:")
    }


STACKS = [
    _stack_values("prod"),
    *(_stack_values(p.stem, p) for p in sorted((PROJECT_DIR / "examples" / "stacks").glob("*.yaml"))),
]
ANY_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["", "v1", "default", "kube-system", "1.30.5", "1.28.0", "stable", "*", "GET", "/x", "2s", "100m"]),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
NEW_KEYS = st.sampled_from(
    ["revision", "revisions", "tags", "tracing", "gateway", "namespace_revisions", "secret_env", "x"]
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(value, dict):
        out += [p for k, v in value.items() for p in _paths(v, (*path, k))]
    elif isinstance(value, list):
        out += [p for i, v in enumerate(value) for p in _paths(v, (*path, i))]
    return out


@st.composite
def mangled(draw: st.DrawFn) -> dict[str, Any]:
    """A real stack with a few values deleted, replaced by any type, or keys added."""
    values = copy.deepcopy(draw(st.sampled_from(STACKS)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(values)))
        target: Any = values
        for key in path[:-1]:
            target = target[key]
        action = draw(st.integers(0, 2))
        if action == 0 and isinstance(target, dict):
            del target[path[-1]]
        elif action == 1 and isinstance(target, dict):
            target[draw(NEW_KEYS)] = draw(ANY_LEAF)
        else:
            target[path[-1]] = draw(ANY_LEAF)
    return values


@settings(
    max_examples=int(os.environ.get("MESH_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(mangled())
def test_any_mangled_stack_is_refused_with_key_paths_or_planned_and_analysed_without_an_exception(values):
    try:
        cfg = load(values)
        preflight(plan_environment(cfg).inventory(), cfg.declared_calls)
    except ArgsError as err:
        assert err.problems and all(p.path.startswith(f"{P}:") for p in err.problems)

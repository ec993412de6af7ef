"""What makes `check` and `render` fast must not change what they say: shapes validated once,
CEL rules answered natively or from memory, YAML written by a faster path."""

import copy
import io

import celpy
import celpy.adapter
import pytest
import yaml

from mesh import render
from mesh.analysis.schemas import _NATIVE_RULES, CelRule, IstioSchemas, Shapes, kubernetes_errors
from tests.conftest import crds, needs_crds


def deployment(name: str, **container: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": f"r/{name}:1", **container}]},
            },
        },
    }


def test_objects_that_differ_only_in_free_text_share_a_shape_and_constrained_values_do_not():
    from mesh.analysis.schemas import _kubernetes_validator

    compiled = _kubernetes_validator("1.34.0", "apps/v1", "Deployment")
    assert compiled is not None
    shapes: Shapes = compiled[1]
    a, b = deployment("a"), deployment("b", image="other/image:2")
    assert shapes.key(a) == shapes.key(b)
    # A type, an added field and an enum (apiVersion) are part of the shape.
    assert shapes.key(a) != shapes.key(deployment("a", ports=[{"containerPort": "eighty"}]))
    assert shapes.key(a) != shapes.key(deployment("a", imagePullPolicy="Always"))
    assert shapes.key(a) != shapes.key({**a, "apiVersion": "apps/v2"})


def test_a_valid_object_does_not_hide_an_invalid_one_of_nearly_the_same_shape():
    assert kubernetes_errors(deployment("a", ports=[{"containerPort": 80}])) == []
    errors = kubernetes_errors(deployment("b", ports=[{"containerPort": "eighty"}]))
    assert errors and "'eighty'" in errors[0]
    # The same problem in another object, after a valid one of its shape: its own value is named.
    assert "'ninety'" in kubernetes_errors(deployment("c", ports=[{"containerPort": "ninety"}]))[0]


@needs_crds
def test_istio_objects_of_one_shape_are_validated_once_and_each_keeps_its_own_cel_verdict():
    schemas = IstioSchemas(crds())
    vs = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "a", "namespace": "shop"},
        "spec": {"hosts": ["a"], "http": [{"route": [{"destination": {"host": "a"}}], "timeout": "2s"}]},
    }
    assert schemas.errors(vs) == []
    zero = copy.deepcopy(vs)
    zero["spec"]["http"][0]["timeout"] = "0s"  # same shape, but a CEL rule (at least 1ms) fails
    assert [e for e in schemas.errors(zero) if e.startswith("spec.http.0.timeout")]
    starred = {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "x"}}},
    }
    assert schemas.errors(starred) == []
    starred["spec"]["selector"]["matchLabels"] = {"app": "x*"}
    assert schemas.errors(starred)


@pytest.mark.parametrize("rule", sorted(_NATIVE_RULES))
def test_each_native_rule_answers_as_cel_does(rule):
    env = celpy.Environment()
    program = env.program(env.compile(rule))
    samples = ["", "a", "a*b", "*", {"a": "1"}, {"": "1"}, {"a*": "1"}, {}, 0, 1, 65535, 65536, -3]
    for value in samples:
        native = _NATIVE_RULES[rule](value)
        if native is None:
            continue
        result = program.evaluate({"self": celpy.adapter.json_to_cel(value)})
        assert bool(native) == bool(result), (rule, value)


def test_presence_only_rules_are_recognised_and_others_are_not():
    def rule(text: str) -> CelRule:
        return CelRule((), text, "", None)

    assert rule("(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) <= 1").presence_only
    assert not rule("has(self.a) ? self.a.size() > 0 : true").presence_only
    assert not rule("has(self.a.b)").presence_only


def test_render_writes_exactly_what_yaml_safe_dump_writes(stacks):
    for run in stacks.values():
        for reg in run.custom():
            first = [k for k in ("apiVersion", "kind", "metadata", "name", "chart") if k in reg.inputs]
            ordered = {k: reg.inputs[k] for k in [*first, *sorted(set(reg.inputs) - set(first))]}
            fast = io.StringIO()
            render.dump(ordered, fast)
            expected = yaml.safe_dump(
                {k: _sorted(v) for k, v in ordered.items()}, sort_keys=False, default_flow_style=False
            )
            assert fast.getvalue() == expected, reg.name


def test_render_dump_agrees_with_safe_dump_on_awkward_values():
    awkward = {
        "b": ["yes", "no", "on", "1.0", "0x1f", "~", "null", "", " lead", "a: b", "#x", "é", 1.5, float("inf")],
        "a": {"z": None, "y": True, "x": 3, "w": "line\nbreak", "v": "x" * 200 + " " + "y" * 50},
    }
    fast = io.StringIO()
    render.dump(awkward, fast)
    assert fast.getvalue() == yaml.safe_dump({k: _sorted(v) for k, v in awkward.items()}, sort_keys=False)


def _sorted(value):
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value

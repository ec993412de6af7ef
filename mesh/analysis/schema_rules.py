"""The pieces of strict CRD validation: strict schemas, CEL rules (the common ones native),
shapes of objects validated once, and schema defaults; pure."""

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import celpy
import celpy.adapter


def _strict(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


# Kubernetes' CEL library functions the Istio CRDs use, beyond standard CEL.
_CEL_FUNCTIONS: dict[str, Any] = {
    "isURL": lambda s: celpy.celtypes.BoolType(bool(urlparse(str(s)).scheme and urlparse(str(s)).netloc)),
    "url": lambda s: celpy.celtypes.StringType(str(s)),
    "getScheme": lambda u: celpy.celtypes.StringType(urlparse(str(u)).scheme),
    "substring": lambda s, start, end: celpy.celtypes.StringType(str(s)[int(start) : int(end)]),
}


@dataclass(frozen=True)
class CelRule:
    """One ``x-kubernetes-validations`` rule, at a path with ``*`` for list items and map values."""

    path: tuple[str, ...]
    rule: str
    message: str
    program: Any

    @property
    def presence_only(self) -> bool:
        """Whether the rule reads ``self`` only through ``has(self.field)``: then only
        which keys ``self`` has decides it."""
        return "self" not in _PRESENCE.sub("", self.rule)


_PRESENCE = re.compile(r"has\(self\.[A-Za-z_][A-Za-z0-9_]*\)")


def _string_keys(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) for k in value)


_NATIVE_RULES: dict[str, Any] = {
    # The rules the CRDs repeat most, on the values CEL defines them for; any other
    # value (where CEL would fail with a type error) goes to cel-python.
    '!self.contains("*")': lambda v: "*" not in v if isinstance(v, str) else None,
    'self.all(key, !key.contains("*"))': lambda v: all("*" not in k for k in v) if _string_keys(v) else None,
    "self.all(key, key.size() != 0)": lambda v: all(k != "" for k in v) if _string_keys(v) else None,
    "0 < self && self <= 65535": lambda v: 0 < v <= 65535 if type(v) is int else None,
}
"""CEL rules as Python, each equal to the rule where it answers (tests/test_speed.py checks it)."""


def _cel_rules(
    schema: Any, path: tuple[str, ...], env: celpy.Environment, out: list[CelRule], skipped: list[str]
) -> None:
    if not isinstance(schema, dict):
        return
    for validation in schema.get("x-kubernetes-validations") or []:
        rule = validation["rule"]
        try:
            program = env.program(env.compile(rule), functions=_CEL_FUNCTIONS)
        except Exception:
            skipped.append(rule)
            continue
        out.append(CelRule(path, rule, validation.get("message") or f"failed rule: {rule}", program))
    for key, sub in (schema.get("properties") or {}).items():
        _cel_rules(sub, (*path, key), env, out, skipped)
    if isinstance(schema.get("items"), dict):
        _cel_rules(schema["items"], (*path, "*"), env, out, skipped)
    if isinstance(schema.get("additionalProperties"), dict):
        _cel_rules(schema["additionalProperties"], (*path, "*"), env, out, skipped)


def _at(value: Any, path: tuple[str, ...], where: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if not path:
        yield where, value
        return
    head, rest = path[0], path[1:]
    if head == "*":
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
        for key, item in items:
            yield from _at(item, rest, (*where, str(key)))
    elif isinstance(value, dict) and head in value:
        yield from _at(value[head], rest, (*where, head))


# Keywords that never decide whether a value is valid here: annotations, and
# ``format``, which these validators do not assert (no format checker is given).
_ANNOTATIONS = frozenset(
    {"description", "title", "default", "format", "examples", "nullable", "deprecated", "readOnly", "writeOnly"}
)
_COMBINATORS = ("allOf", "anyOf", "oneOf", "not")
_VALUE_DEPENDENT = frozenset(
    {"if", "then", "else", "unevaluatedProperties", "unevaluatedItems", "dependentSchemas", "dependencies"}
)
_LEAF_FREE = {str: "string", int: "integer"}
_FREE_VALUE: dict[type, Any] = {str: "", int: 0}


def _relevant(schema: Mapping[str, Any]) -> set[str]:
    return {k for k in schema if k not in _ANNOTATIONS and not k.startswith("x-") and k != "$comment"}


class Shapes:
    """Which values of an object a schema ignores, so that objects of one shape are validated once.

    A string or integer whose schema asks nothing but its type (no enum, pattern,
    length or range, no combinator around it) can be replaced by any other of its
    type without changing what the validator says; keys are kept, so ``required``
    and ``additionalProperties`` see the same object. Two objects with the same
    shape (``key``) are valid or invalid together. Anything the walk is not sure
    of (combinators that look at values, ``$ref`` it cannot resolve, pattern
    properties, unique items) is kept verbatim. Only "valid" is reused: an
    invalid object is validated again, so that its messages name its own values.
    """

    def __init__(self, schema: Mapping[str, Any], definitions: Mapping[str, Any] | None = None) -> None:
        self._root = schema
        self._definitions = definitions or {}
        self._valid: set[str] = set()

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
        seen = 0
        while "$ref" in schema:
            if _relevant(schema) != {"$ref"} or seen > 32:
                return None
            _, _, pointer = str(schema["$ref"]).partition("#/")
            parts = pointer.split("/")
            target = self._definitions.get(parts[-1]) if len(parts) == 2 else None
            if not isinstance(target, Mapping):
                return None
            schema, seen = target, seen + 1
        return schema

    @staticmethod
    def _keys_only(schema: Any) -> bool:
        """A combinator branch that only asks which keys are present."""
        if not isinstance(schema, Mapping):
            return False
        for key in _relevant(schema):
            if key == "required":
                continue
            if key in ("allOf", "anyOf", "oneOf"):
                if not all(Shapes._keys_only(s) for s in schema[key]):
                    return False
            elif key == "not":
                if not Shapes._keys_only(schema[key]):
                    return False
            else:
                return False
        return True

    def _shape(self, schema: Mapping[str, Any] | None, value: Any) -> Any:
        if schema is None:
            return value
        if "$ref" in schema:
            schema = self._resolve(schema)
            if schema is None:
                return value
        relevant = _relevant(schema)
        if relevant & _VALUE_DEPENDENT:
            return value
        combinators = {k: schema[k] for k in _COMBINATORS if k in relevant}
        if combinators and not self._keys_only(combinators):
            return value
        kind = type(value)
        if kind in _LEAF_FREE:
            types = schema.get("type")
            types = [types] if isinstance(types, str) else types or []
            if relevant == {"type"} and _LEAF_FREE[kind] in types:
                return _FREE_VALUE[kind]
            return value
        if kind is dict:
            if relevant & {"enum", "const", "patternProperties", "propertyNames"}:
                return value
            props = schema.get("properties") or {}
            extra = schema.get("additionalProperties")
            extra = extra if isinstance(extra, Mapping) else None
            return {k: self._shape(props.get(k, extra), v) for k, v in value.items()}
        if kind is list:
            items = schema.get("items")
            if relevant & {"enum", "const", "uniqueItems", "prefixItems", "contains"} or not isinstance(items, Mapping):
                return value
            return [self._shape(items, v) for v in value]
        return value

    def key(self, manifest: Mapping[str, Any]) -> str:
        """The object's shape under this schema, as text."""
        return json.dumps(self._shape(self._root, dict(manifest)), sort_keys=True, separators=(",", ":"), default=str)

    def known_valid(self, key: str) -> bool:
        """Whether an object of this shape was found valid."""
        return key in self._valid

    def remember_valid(self, key: str) -> None:
        """Record that an object of this shape is valid."""
        self._valid.add(key)


def with_defaults(schema: Any, value: Any) -> Any:
    """``value`` with the schema's ``default``s filled in, as the API server does before
    it evaluates CEL rules (which read defaulted fields such as a backendRef's kind)."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        out = dict(value)
        for key, sub in (schema.get("properties") or {}).items():
            if key not in out and isinstance(sub, dict) and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = with_defaults(sub, out[key])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            props = schema.get("properties") or {}
            out = {k: (v if k in props else with_defaults(extra, v)) for k, v in out.items()}
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [with_defaults(schema["items"], v) for v in value]
    return value

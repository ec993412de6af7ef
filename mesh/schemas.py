"""Strict schema validation of rendered objects, as an API server would do it.

Kubernetes kinds go through ``kubernetes-validate`` in strict mode at a pinned
Kubernetes version. Istio kinds go through the ``openAPIV3Schema`` of Istio's own
CRDs, made strict: an object schema that lists its properties and does not
preserve unknown fields rejects any other field, as the API server does under
strict field validation.
"""

import copy
import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import celpy
import celpy.adapter
import jsonschema
import kubernetes_validate
import yaml

from mesh.offline import PROJECT_DIR

KUBERNETES_VERSION = "1.34.0"
"""Kubernetes version schemas are checked against: one that Istio 1.30 supports."""
CRDS_ENV = "MESH_ISTIO_CRDS"
"""Environment variable naming another CRD file (for another Istio version)."""
DEFAULT_CRDS = PROJECT_DIR.parent / "shared" / "istio" / "crd-all.gen.yaml"
"""Istio 1.30.3's CRDs, beside the project; 1.30.4 and 1.30.5, which the stacks pin,
did not change them."""


def crd_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The CRD file to use: an explicit path, else $MESH_ISTIO_CRDS, else the default."""
    return Path(explicit or os.environ.get(CRDS_ENV) or DEFAULT_CRDS)


def is_istio(manifest: Mapping[str, Any]) -> bool:
    """Whether an object is an Istio custom resource."""
    return str(manifest.get("apiVersion", "")).split("/")[0].endswith(".istio.io")


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


class IstioSchemas:
    """The served versions of Istio's CRDs, keyed by (apiVersion, kind): their
    OpenAPI schemas made strict, and their CEL rules where ``cel-python`` can run them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._rules: dict[tuple[str, str], list[CelRule]] = {}
        self.cel_skipped: list[str] = []
        """Rules this library could not compile: not evaluated."""
        env = celpy.Environment()
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            group = doc["spec"]["group"]
            kind = doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                if not version.get("served"):
                    continue
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                props = schema.setdefault("properties", {})
                props.setdefault("apiVersion", {"type": "string"})
                props.setdefault("kind", {"type": "string"})
                props["metadata"] = {"type": "object"}
                key = (f"{group}/{version['name']}", kind)
                self._validators[key] = jsonschema.Draft7Validator(_strict(schema))
                self._rules[key] = []
                _cel_rules(schema, (), env, self._rules[key], self.cel_skipped)

    def kinds(self) -> set[tuple[str, str]]:
        """Every (apiVersion, kind) served."""
        return set(self._validators)

    def errors(self, manifest: Mapping[str, Any]) -> list[str]:
        """Problems of one Istio object, each with its field path."""
        key = (str(manifest.get("apiVersion")), str(manifest.get("kind")))
        validator = self._validators.get(key)
        if validator is None:
            return [f"{key[0]} {key[1]} is not served by the CRDs in {self.path}"]
        errors = [
            f"{'.'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
            for err in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path)))
        ]
        if errors:
            return errors  # CEL rules assume a value of the right shape
        for rule in self._rules[key]:
            for where, value in _at(manifest, rule.path):
                try:
                    result = rule.program.evaluate({"self": celpy.adapter.json_to_cel(value)})
                    ok = isinstance(result, celpy.celtypes.BoolType) and bool(result)
                except Exception:
                    ok = False
                if not ok:
                    errors.append(f"{'.'.join(where) or '(root)'}: {rule.message}")
        return errors


@functools.lru_cache(maxsize=4)
def istio_schemas(path: Path) -> IstioSchemas:
    """The CRDs at ``path``, parsed once."""
    return IstioSchemas(path)


def kubernetes_errors(manifest: Mapping[str, Any], version: str = KUBERNETES_VERSION) -> list[str]:
    """Problems of one Kubernetes object under strict validation."""
    try:
        kubernetes_validate.validate(dict(manifest), version, strict=True)
    except kubernetes_validate.ValidationError as err:
        path = ".".join(str(p) for p in err.path) or "(root)"
        return [f"{path}: {err.message}"]
    except kubernetes_validate.SchemaNotFoundError as err:
        return [f"no schema for {manifest.get('apiVersion')} {manifest.get('kind')} in Kubernetes {version}: {err}"]
    return []

"""Strict schema validation of rendered objects, as an API server would do it.

Kubernetes kinds go through ``kubernetes-validate`` in strict mode at a pinned
Kubernetes version. Istio kinds go through the ``openAPIV3Schema`` of Istio's own
CRDs, made strict: an object schema that lists its properties and does not
preserve unknown fields rejects any other field, as the API server does under
strict field validation.
"""

import copy
import functools
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import celpy
import celpy.adapter
import jsonschema
import kubernetes_validate
import yaml

from istio_mesh import defaults
from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import HELM_RELEASE, Inventory, ref
from mesh.analysis.schema_rules import (
    _NATIVE_RULES,
    CelRule,
    Shapes,
    _at,
    _cel_rules,
    _strict,
    with_defaults,
)

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KUBERNETES_VERSION = "1.34.0"
"""Kubernetes version schemas are checked against: one that Istio 1.30 supports."""
CRDS_ENV = "MESH_ISTIO_CRDS"
"""Environment variable naming another CRD file (for another Istio version)."""
DEFAULT_CRDS = Path(__file__).resolve().parents[3] / "shared" / "istio" / "crd-all.gen.yaml"
"""Istio 1.30.3's CRDs, beside the project; 1.30.4 and 1.30.5, which the stacks pin,
did not change them."""


GATEWAY_API_CRDS_ENV = "MESH_GATEWAY_API_CRDS"
"""Environment variable naming another Gateway API CRD file (standard channel)."""
DEFAULT_GATEWAY_API_CRDS = (
    Path(__file__).resolve().parents[3] / "shared" / "gateway-api" / "standard-install-v1.5.1.yaml"
)
"""Gateway API v1.5.1's standard-channel CRDs, the release Istio 1.30 is built against."""
GATEWAY_API_EXPERIMENTAL_CRDS_ENV = "MESH_GATEWAY_API_EXPERIMENTAL_CRDS"
"""Environment variable naming the experimental channel's CRDs (a file or a folder)."""
GATEWAY_API_MODULE = "sigs.k8s.io/gateway-api"
"""The Gateway API's Go module, whose source carries each channel's CRDs."""


def go_module_cache() -> Path:
    """Go's module cache, as Go finds it: $GOMODCACHE, else the first $GOPATH's pkg/mod, else ~/go/pkg/mod."""
    if os.environ.get("GOMODCACHE"):
        return Path(os.environ["GOMODCACHE"])
    gopath = os.environ.get("GOPATH", "").split(os.pathsep)[0]
    return Path(gopath or Path.home() / "go") / "pkg" / "mod"


def default_experimental_crds(version: str = defaults.GATEWAY_API.version) -> Path:
    """The experimental channel's CRD folder in the Go module cache (`go mod download
    sigs.k8s.io/gateway-api@<version>` puts it there)."""
    return go_module_cache() / f"{GATEWAY_API_MODULE}@{version}" / "config" / "crd" / "experimental"


def gateway_api_crd_path(explicit: str | os.PathLike[str] | None = None, channel: str = "standard") -> Path:
    """The Gateway API CRDs of a channel: an explicit path, else the channel's environment
    variable, else its default (the standard file beside the project, the experimental
    folder in Go's module cache)."""
    if explicit:
        return Path(explicit)
    if channel == "experimental":
        return Path(os.environ.get(GATEWAY_API_EXPERIMENTAL_CRDS_ENV) or default_experimental_crds())
    return Path(os.environ.get(GATEWAY_API_CRDS_ENV) or DEFAULT_GATEWAY_API_CRDS)


def is_gateway_api(manifest: Mapping[str, Any]) -> bool:
    """Whether an object is a Kubernetes Gateway API resource."""
    return str(manifest.get("apiVersion", "")).split("/")[0] == "gateway.networking.k8s.io"


def crd_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The CRD file to use: an explicit path, else $MESH_ISTIO_CRDS, else the default."""
    return Path(explicit or os.environ.get(CRDS_ENV) or DEFAULT_CRDS)


def is_istio(manifest: Mapping[str, Any]) -> bool:
    """Whether an object is an Istio custom resource."""
    return str(manifest.get("apiVersion", "")).split("/")[0].endswith(".istio.io")


class CrdFileError(ValueError):
    """A CRD file that cannot be used."""


def kubernetes_versions() -> list[str]:
    """The Kubernetes versions whose schemas ``kubernetes-validate`` ships."""
    return sorted(set(kubernetes_validate.utils.all_versions()), key=lambda v: tuple(map(int, v.split("."))))


class CrdSchemas:
    """The served versions of a CRD file's kinds (Istio's, the Gateway API's), or of every
    YAML file of a folder, keyed by (apiVersion, kind): their OpenAPI schemas made
    strict, and their CEL rules where ``cel-python`` can run them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._shapes: dict[tuple[str, str], Shapes] = {}
        self._schemas: dict[tuple[str, str], Any] = {}
        self._cel_results: dict[tuple[tuple[str, str], int, str], bool] = {}
        self._rules: dict[tuple[str, str], list[CelRule]] = {}
        self.cel_skipped: list[str] = []
        """Rules this library could not compile: not evaluated."""
        env = celpy.Environment()
        try:
            # The C loader where PyYAML has it: the CRD file is several megabytes.
            files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
            docs = [doc for f in files for doc in yaml.load_all(f.read_text(encoding="utf-8"), Loader=_LOADER)]
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise CrdFileError(f"{path}: not a readable YAML file ({type(err).__name__})") from None
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
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
                strict = _strict(schema)
                self._validators[key] = jsonschema.Draft7Validator(strict)
                self._shapes[key] = Shapes(strict)
                self._schemas[key] = schema
                self._rules[key] = []
                _cel_rules(schema, (), env, self._rules[key], self.cel_skipped)

        if not self._validators:
            raise CrdFileError(f"{path}: holds no CustomResourceDefinition")

    def kinds(self) -> set[tuple[str, str]]:
        """Every (apiVersion, kind) served."""
        return set(self._validators)

    def errors(self, manifest: Mapping[str, Any]) -> list[str]:
        """Problems of one Istio object, each with its field path."""
        key = (str(manifest.get("apiVersion")), str(manifest.get("kind")))
        validator = self._validators.get(key)
        if validator is None:
            return [f"{key[0]} {key[1]} is not served by the CRDs in {self.path}"]
        shapes = self._shapes[key]
        shape = shapes.key(manifest)
        if not shapes.known_valid(shape):
            errors = _schema_errors(validator, manifest)
            if errors:
                return errors  # CEL rules assume a value of the right shape
            shapes.remember_valid(shape)
        # CEL rules see the object as the API server does: with the schema's defaults filled in.
        defaulted = with_defaults(self._schemas[key], dict(manifest))
        return [
            f"{'.'.join(where) or '(root)'}: {rule.message}"
            for index, rule in enumerate(self._rules[key])
            for where, value in _at(defaulted, rule.path)
            if not self._cel_ok(key, index, rule, value)
        ]

    def _cel_ok(self, key: tuple[str, str], index: int, rule: CelRule, value: Any) -> bool:
        """One rule on one value; a rule is a pure function of ``self``, so each value is evaluated once."""
        native = _NATIVE_RULES.get(rule.rule)
        answer = native(value) if native else None
        if answer is not None:
            return bool(answer)
        if rule.presence_only and isinstance(value, dict):
            text = json.dumps(sorted(value))
        else:
            text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
        memo = (key, index, text)
        known = self._cel_results.get(memo)
        if known is None:
            try:
                result = rule.program.evaluate({"self": celpy.adapter.json_to_cel(value)})
                known = isinstance(result, celpy.celtypes.BoolType) and bool(result)
            except Exception:
                known = False
            self._cel_results[memo] = known
        return known


IstioSchemas = CrdSchemas
"""Istio's CRD file, read as any other."""


@functools.lru_cache(maxsize=4)
def istio_schemas(path: Path) -> CrdSchemas:
    """The CRDs at ``path``, parsed once."""
    return CrdSchemas(path)


def load_istio_schemas(path: str | os.PathLike[str]) -> CrdSchemas:
    """The CRDs of a file (or folder) a user named; raises CrdFileError when it is missing or holds none."""
    resolved = Path(path).resolve()
    if not (resolved.is_file() or resolved.is_dir()):
        raise CrdFileError(f"{path}: no such file or folder")
    try:
        return istio_schemas(resolved)
    except CrdFileError as err:  # named as the user named it
        raise CrdFileError(str(err).replace(str(resolved), str(path), 1)) from None


def kubernetes_errors(manifest: Mapping[str, Any], version: str = KUBERNETES_VERSION) -> list[str]:
    """Problems of one Kubernetes object under strict validation, every one of them."""
    compiled = _kubernetes_validator(
        version.removeprefix("v"), str(manifest.get("apiVersion")), str(manifest.get("kind"))
    )
    if compiled is None:
        return [f"no schema for {manifest.get('apiVersion')} {manifest.get('kind')} in Kubernetes {version}"]
    validator, shapes = compiled
    shape = shapes.key(manifest)
    if shapes.known_valid(shape):
        return []
    errors = _schema_errors(validator, dict(manifest))
    if not errors:
        shapes.remember_valid(shape)
    return errors


def _schema_errors(validator: Any, instance: Any) -> list[str]:
    """Every error of one object, each with its field path, in path order."""
    return [
        f"{'.'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
        for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


@functools.lru_cache(maxsize=256)
def _kubernetes_validator(version: str, api_version: str, kind: str) -> tuple[Any, Shapes] | None:
    """The strict schema of one kind at one Kubernetes version, as ``kubernetes-validate``
    finds it, compiled once (its own ``validate`` re-reads both files per object), with its shapes."""
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    wanted = utils.major_minor(version)
    known = [
        v
        for v in kubernetes_versions()
        if tuple(map(int, utils.major_minor(v).split("."))) <= tuple(map(int, wanted.split(".")))
    ]
    if not known:
        return None
    schema_dir = f"kubernetes-json-schema/v{known[-1]}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{schema_dir}/{kind.lower()}-{group_version}.json", version)
        definitions = utils.schema_contents(f"{schema_dir}/_definitions.json", version)
    except (FileNotFoundError, utils.VersionNotSupportedError):
        return None
    registry: Any = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry), Shapes(schema, definitions.get("$defs"))


def schema_findings(
    inventory: Inventory,
    crds: str | os.PathLike[str] | None = None,
    kubernetes_version: str = KUBERNETES_VERSION,
    gateway_api_crds: str | os.PathLike[str] | None = None,
    gateway_api_channel: str = "standard",
) -> list[Finding]:
    """Strict schema validation of every Kubernetes, Istio and Gateway API object; the
    Gateway API's against the CRDs of the stack's channel unless a file is named."""
    findings = []
    path = crd_path(crds)
    # An explicit file must load (the command line checks it first); the default may be absent.
    schemas = load_istio_schemas(path) if crds is not None or path.exists() else None
    gw_path = gateway_api_crd_path(gateway_api_crds, gateway_api_channel)
    gw_schemas = load_istio_schemas(gw_path) if gateway_api_crds is not None or gw_path.exists() else None
    unchecked = gw_unchecked = 0
    for res in inventory.custom():
        if res.type == HELM_RELEASE or "kind" not in res.inputs:
            continue
        manifest = res.inputs
        if is_istio(manifest) and schemas is None:
            unchecked += 1
            continue
        if is_gateway_api(manifest) and gw_schemas is None:
            gw_unchecked += 1
            continue
        if is_gateway_api(manifest) and gw_schemas:
            errors = gw_schemas.errors(manifest)
        elif is_istio(manifest) and schemas:
            errors = schemas.errors(manifest)
        else:
            errors = kubernetes_errors(manifest, kubernetes_version)
        for err in errors:
            field, _, message = err.partition(": ")
            findings.append(finding("MESH0001", ref(res), field, message))
    if unchecked:
        findings.append(
            finding(
                "MESH0002",
                "(stack)",
                "",
                f"Istio CRDs not found at {path}: {unchecked} Istio objects not schema-checked",
                f"pass --crds or set ${CRDS_ENV}",
            )
        )
    if gw_unchecked:
        findings.append(
            finding(
                "MESH0601",
                "(stack)",
                "",
                f"Gateway API {gateway_api_channel}-channel CRDs not found at {gw_path}: {gw_unchecked} Gateway "
                "API objects not schema-checked",
                f"pass --gateway-api-crds or set ${GATEWAY_API_CRDS_ENV}"
                if gateway_api_channel != "experimental"
                else f"pass --gateway-api-crds (experimental-install.yaml, or the CRD folder), set "
                f"${GATEWAY_API_EXPERIMENTAL_CRDS_ENV}, or fetch them into Go's module cache: "
                f"go mod download {GATEWAY_API_MODULE}@{defaults.GATEWAY_API.version}",
            )
        )
    return findings

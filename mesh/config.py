"""The stack config: typed, validated, pure data. No Pulumi here.

A stack's config lives under the ``service-mesh:`` namespace. Its keys map onto
the component package's argument types key for key (snake_case), so one schema
describes both; this module adds what only a whole environment knows: the list
of services, whom each calls, and which one is the entry behind the gateway.
"""

import json
import typing
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, cast

from istio_mesh.args import ExternalHostArgs, IstioControlPlaneArgs, MeshServiceArgs, MtlsMode
from istio_mesh.validation import (
    Problem,
    check_shape,
    control_plane_problems,
    did_you_mean,
    dns_label,
    external_host_problems,
    plain,
)
from mesh.config_model import DEFAULT_NAMESPACE, Call, ConfigError, ServiceConfig, StackConfig
from mesh.config_rules import (
    ambient_problems,
    namespace_revision_problems,
    owned_namespaces,
    reserved_problems,
    services_problems,
)
from mesh.config_secrets import apply_secrets, leaf_path
from mesh.keys import PROJECT, Leaf, key_path

__all__ = ["PROJECT", "ConfigError", "Leaf", "StackConfig", "key_path", "leaf_path", "load"]


class CallConfig(TypedDict):
    """One declared dependency: this service calls ``service``."""

    service: str
    """Name of another service of the stack."""
    methods: NotRequired[list[str]]
    """HTTP methods the caller uses. Default: all."""
    paths: NotRequired[list[str]]
    """Paths the caller uses. Default: all."""


# Keys the environment derives from the dependency graph, never set by hand.
DERIVED_KEYS = (
    "allowed_callers",
    "expose",
    "egress_hosts",
    "service_name",
    "traffic_api",
    "gateway_api_channel",
    "data_plane",
)

_service_fields: dict[str, Any] = {
    k: v for k, v in typing.get_type_hints(MeshServiceArgs, include_extras=True).items() if k not in DERIVED_KEYS
}
_service_fields["namespace"] = NotRequired[str]
_service_fields["name"] = str
_service_fields["calls"] = NotRequired[list[CallConfig]]
_service_fields["entry"] = NotRequired[bool]
_service_fields["egress"] = NotRequired[list[str]]
ServiceConfigShape: Any = TypedDict("ServiceConfigShape", _service_fields)  # type: ignore[misc]
"""One entry of ``services``: MeshServiceArgs less what is derived, plus ``name``,
``calls`` (whom it calls), ``egress`` (external hosts it calls) and ``entry``
(reached through the ingress gateway)."""

TOP_LEVEL: dict[str, Any] = {
    "istio": IstioControlPlaneArgs,
    "namespace": str,
    "services": list[ServiceConfigShape],
    "default_deny": bool,
    "namespace_mtls_mode": MtlsMode,
    "limit_egress": bool,
    "external_hosts": list[ExternalHostArgs],
    "allow_default_namespace": bool,
    "namespace_revisions": dict[str, str],
}
REQUIRED = ("services",)


def parse_raw(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Config values as the CLI hands them over (structured values as JSON text),
    decoded by the type each key expects. ``raw`` is keyed without the namespace."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in raw.items():
        expected = TOP_LEVEL.get(key)
        if expected is None:
            values[key] = value  # reported as unknown, with a did-you-mean, by `load`
            continue
        if isinstance(value, str) and expected is not str and expected is not MtlsMode:
            try:
                value = json.loads(value)
            except json.JSONDecodeError as err:
                problems.append(
                    Problem(key_path(key), f"expected {_expected(expected)} as JSON text, which this is not: {err.msg}")
                )
                continue
        values[key] = value
    return values, problems


def _expected(typ: Any) -> str:
    if typ is bool:
        return "true or false"
    return "a list" if typing.get_origin(typ) is list else "an object"


def load(raw: Mapping[str, Any], secrets: Mapping[str, Sequence[Leaf]] | None = None) -> StackConfig:
    """Validate a stack's config and return it; raise ConfigError listing every problem.

    ``raw`` maps keys without the ``service-mesh:`` prefix to values, decoded or
    as the CLI's JSON text. ``secrets`` says where they hold secrets (key -> leaf
    paths; the empty path for a key secret as a whole): secret env values move to
    ``secret_env``, and a secret anywhere else is refused, as it would be registered
    in plain text.
    """
    values, problems = parse_raw(raw)
    secret_problems, notes = apply_secrets(values, secrets or {}, TOP_LEVEL)
    problems += secret_problems
    for key in values:
        if key not in TOP_LEVEL:
            allowed = ", ".join(key_path(k) for k in TOP_LEVEL)
            hint = did_you_mean(key, TOP_LEVEL)
            problems.append(Problem(key_path(key), f"unknown key{hint}; allowed: {allowed}"))
    for key in REQUIRED:
        if key not in raw:
            problems.append(Problem(key_path(key), "required"))
    clean: set[str] = set()
    for key, typ in TOP_LEVEL.items():
        if key in values:
            shape = check_shape(values[key], typ, key_path(key))
            problems += shape
            if not shape:
                clean.add(key)
    # Meaning is checked wherever the shape is right, so that one run reports all.
    values = plain({k: v for k, v in values.items() if k in clean})
    if "istio" not in raw:
        values["istio"] = {}  # every control plane default
    if "istio" in clean:
        problems += control_plane_problems(values["istio"], key_path("istio"))
    namespace = values.get("namespace", DEFAULT_NAMESPACE)
    owned = owned_namespaces(values)
    if "namespace" in clean:
        problems += dns_label(namespace, key_path("namespace"), "a namespace name")
        problems += reserved_problems(namespace, key_path("namespace"), owned)
    if "external_hosts" in clean:
        problems += external_host_problems(values["external_hosts"], key_path("external_hosts"))
    services: tuple[ServiceConfig, ...] = ()
    if "services" in clean:
        services = tuple(_service(i, s, namespace) for i, s in enumerate(values["services"]))
        problems += services_problems(services, values, owned)
    if "istio" in clean and "services" in clean:
        problems += namespace_revision_problems(values, namespace, services)
    if "istio" in clean and values["istio"].get("data_plane") == "ambient":
        problems += ambient_problems(values, notes)
    if problems:
        raise ConfigError(problems, "the stack config")
    return StackConfig(
        istio=cast(IstioControlPlaneArgs, values.get("istio", {})),
        namespace=namespace,
        services=services,
        default_deny=values.get("default_deny", StackConfig.default_deny),
        namespace_mtls_mode=values.get("namespace_mtls_mode"),
        # Sidecar resources mean nothing in ambient: no sidecar reads them.
        limit_egress=values.get("limit_egress", StackConfig.limit_egress)
        and values.get("istio", {}).get("data_plane") != "ambient",
        external_hosts=tuple(values.get("external_hosts", [])),
        allow_default_namespace=values.get("allow_default_namespace", StackConfig.allow_default_namespace),
        namespace_revisions=dict(values.get("namespace_revisions", {})),
        notes=tuple(notes),
    )


def _service(index: int, entry: Mapping[str, Any], namespace: str) -> ServiceConfig:
    fields = {k: v for k, v in entry.items() if k not in ("name", "namespace", "calls", "entry", "egress")}
    # Shape-checked against the service type: past here, the fields are what MeshServiceArgs says.
    args = cast(MeshServiceArgs, {**fields, "namespace": entry.get("namespace", namespace)})
    calls = tuple(
        Call(c["service"], tuple(c.get("methods", ())), tuple(c.get("paths", ()))) for c in entry.get("calls", [])
    )
    return ServiceConfig(
        entry["name"],
        entry.get("namespace", namespace),
        calls,
        entry.get("entry", False),
        tuple(entry.get("egress", [])),
        args,
    )

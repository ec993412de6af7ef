"""The stack config: typed, validated, pure data. No Pulumi here.

A stack's config lives under the ``service-mesh:`` namespace. Its keys map onto
the component package's argument types key for key (snake_case), so one schema
describes both; this module adds what only a whole environment knows: the list
of services, whom each calls, and which one is the entry behind the gateway.
"""

import json
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, cast

from istio_mesh import defaults, grammar
from istio_mesh.args import ExternalHostArgs, IstioControlPlaneArgs, MeshServiceArgs, MtlsMode
from istio_mesh.validation import (
    RESERVED_NAMESPACES,
    ArgsError,
    Problem,
    absolute_path,
    check_shape,
    control_plane_problems,
    did_you_mean,
    dns_label,
    external_host_problems,
    http_method,
    mesh_service_problems,
    plain,
    revision_ref_problems,
)
from mesh.config_secrets import apply_secrets, leaf_path
from mesh.keys import PROJECT, Leaf, key_path

__all__ = ["PROJECT", "ConfigError", "Leaf", "StackConfig", "key_path", "leaf_path", "load"]


class ConfigError(ArgsError):
    """A stack config with problems; the message lists each with its key path."""


class CallConfig(TypedDict):
    """One declared dependency: this service calls ``service``."""

    service: str
    """Name of another service of the stack."""
    methods: NotRequired[list[str]]
    """HTTP methods the caller uses. Default: all."""
    paths: NotRequired[list[str]]
    """Paths the caller uses. Default: all."""


# Keys the environment derives from the dependency graph, never set by hand.
DERIVED_KEYS = ("allowed_callers", "expose", "egress_hosts", "service_name", "traffic_api", "data_plane")

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


@dataclass(frozen=True)
class Call:
    """A declared call from one service to another."""

    service: str
    """The callee's name."""
    methods: tuple[str, ...] = ()
    """HTTP methods allowed; empty means all."""
    paths: tuple[str, ...] = ()
    """Paths allowed; empty means all."""


@dataclass(frozen=True)
class ServiceConfig:
    """One microservice of the environment."""

    name: str
    """Service name: its DNS label, Service and component name."""
    namespace: str
    """Namespace it runs in."""
    calls: tuple[Call, ...]
    """Services it calls: the single source of its env, authorization and egress."""
    entry: bool
    """Reached from outside through the ingress gateway."""
    egress: tuple[str, ...]
    """External hosts it calls, each declared in ``external_hosts``."""
    args: MeshServiceArgs
    """The rest, as MeshServiceArgs with its namespace; the plan adds the keys
    derived from the graph (env, callers, egress, exposure)."""


@dataclass(frozen=True)
class StackConfig:
    """One environment, validated."""

    istio: IstioControlPlaneArgs
    """The control plane's arguments. Default: {} (every control plane default)."""
    namespace: str
    """Namespace of services that name none. Default: "apps"."""
    services: tuple[ServiceConfig, ...]
    """The services, in config order."""
    default_deny: bool = True
    """An allow-nothing policy per app namespace, so only declared calls pass.
    Default: true."""
    namespace_mtls_mode: str | None = None
    """A PeerAuthentication per app namespace over the mesh-wide mode. Default:
    unset (the mesh-wide mode applies)."""
    limit_egress: bool = True
    """A Sidecar per service that limits its proxy to the services it calls.
    Default: true: less proxy memory, and a call nobody declared fails loudly."""
    external_hosts: tuple[ExternalHostArgs, ...] = ()
    """Hosts outside the mesh (ExternalHostArgs), each a ServiceEntry in the
    default namespace. Default: none."""
    allow_default_namespace: bool = False
    """Let services run in the cluster's ``default`` namespace. Default: false: the
    stack would label, police and, on destroy, delete a namespace it does not own."""
    namespace_revisions: dict[str, str] | None = None
    """Revision tag (or revision) whose istiod injects each app namespace, by
    namespace. Default: none, so namespaces follow `istio.revision`; required for
    every app namespace with `istio.revisions`. Moving a namespace (or its tag)
    restarts its pods."""
    notes: tuple[str, ...] = ()
    """What the program should tell the user (Pulumi's log) about how it read the config."""

    @property
    def declared_calls(self) -> set[tuple[str, str]]:
        """Every (caller, callee) pair of the dependency graph."""
        return {(s.name, c.service) for s in self.services for c in s.calls}

    def service(self, name: str) -> ServiceConfig:
        """The service of that name."""
        return next(s for s in self.services if s.name == name)


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
    namespace = values.get("namespace", "apps")
    owned = _owned_namespaces(values)
    if "namespace" in clean:
        problems += dns_label(namespace, key_path("namespace"), "a namespace name")
        problems += _reserved(namespace, key_path("namespace"), owned)
    if "external_hosts" in clean:
        problems += external_host_problems(values["external_hosts"], key_path("external_hosts"))
    services: tuple[ServiceConfig, ...] = ()
    if "services" in clean:
        services = tuple(_service(i, s, namespace) for i, s in enumerate(values["services"]))
        problems += _graph_problems(services, values)
        for i, entry in enumerate(values["services"]):
            if "namespace" in entry:
                ns_path = f"{key_path('services')}[{i}].namespace"
                problems += dns_label(entry["namespace"], ns_path, "a namespace name")
                problems += _reserved(entry["namespace"], ns_path, owned)
        for i, svc in enumerate(services):
            path = f"{key_path('services')}[{i}]"
            problems += [
                p
                for p in mesh_service_problems(svc.args, path)
                # The namespace is checked above, once, at the key that sets it.
                if p.path != f"{path}.namespace"
            ]
    if "istio" in clean and "services" in clean:
        problems += _namespace_revision_problems(values, namespace, services)
    if "istio" in clean and values["istio"].get("data_plane") == "ambient":
        if values.get("namespace_revisions"):
            problems.append(
                Problem(
                    key_path("namespace_revisions"),
                    f"not with {key_path('istio')}.data_plane ambient: ambient namespaces select no revision "
                    "(pods get no sidecar to inject)",
                )
            )
        if values.get("limit_egress", True):
            # Pulumi.yaml defaults it to true, so an explicit value cannot be told apart: said, not refused.
            notes.append(
                f"{key_path('limit_egress')} has no effect with {key_path('istio')}.data_plane ambient: no Sidecar "
                "resources are created, as no sidecar would read them (Istio's IST0167)"
            )
    if problems:
        raise ConfigError(problems, "the stack config")
    return StackConfig(
        istio=cast(IstioControlPlaneArgs, values.get("istio", {})),
        namespace=namespace,
        services=services,
        default_deny=values.get("default_deny", True),
        namespace_mtls_mode=values.get("namespace_mtls_mode"),
        # Sidecar resources mean nothing in ambient: no sidecar reads them.
        limit_egress=values.get("limit_egress", True) and values.get("istio", {}).get("data_plane") != "ambient",
        external_hosts=tuple(values.get("external_hosts", [])),
        allow_default_namespace=values.get("allow_default_namespace", False),
        namespace_revisions=dict(values.get("namespace_revisions", {})),
        notes=tuple(notes),
    )


def _owned_namespaces(values: Mapping[str, Any]) -> dict[str, str]:
    """Namespaces an app may not use, and who owns each."""
    istio = values.get("istio", {}) if isinstance(values.get("istio"), Mapping) else {}
    owned = {ns: "the cluster" for ns in RESERVED_NAMESPACES}
    if not values.get("allow_default_namespace"):
        owned["default"] = "the cluster (workloads nobody placed)"
    owned[str(istio.get("namespace", defaults.ISTIO_NAMESPACE))] = f"the control plane ({key_path('istio')}.namespace)"
    gateway = istio.get("gateway")
    if isinstance(gateway, Mapping):
        gw_ns = str(gateway.get("namespace", defaults.GATEWAY_NAMESPACE))
        owned[gw_ns] = f"the ingress gateway ({key_path('istio')}.gateway.namespace)"
    return owned


def _reserved(namespace: str, path: str, owned: Mapping[str, str]) -> list[Problem]:
    if namespace not in owned:
        return []
    hint = f"; or set {key_path('allow_default_namespace')}: true" if namespace == "default" else ""
    return [
        Problem(
            path,
            f"{namespace!r} belongs to {owned[namespace]}; app namespaces may not be {', '.join(sorted(owned))}{hint}",
        )
    ]


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


def _graph_problems(services: tuple[ServiceConfig, ...], values: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    base = key_path("services")
    names = [s.name for s in services]
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        first.setdefault(name, i)
    external = [e["host"] for e in values.get("external_hosts", [])]
    for i, svc in enumerate(services):
        name_problem = grammar.dns_1035_label(svc.name)
        if name_problem:
            problems.append(Problem(f"{base}[{i}].name", f"{name_problem} (it names the service's Service)"))
        if first[svc.name] != i:
            problems.append(Problem(f"{base}[{i}].name", f"{svc.name!r} is declared twice; names are unique per stack"))
        seen: set[str] = set()
        for j, call in enumerate(svc.calls):
            path = f"{base}[{i}].calls[{j}].service"
            if call.service not in first:
                hint = did_you_mean(call.service, names)
                problems.append(Problem(path, f"unknown service {call.service!r}{hint}; allowed: {', '.join(names)}"))
            elif call.service == svc.name:
                problems.append(Problem(path, "a service does not call itself through the mesh"))
            if call.service in seen:
                problems.append(Problem(path, f"{call.service!r} is listed twice"))
            seen.add(call.service)
            for k, p in enumerate(call.paths):
                problems += absolute_path(p, f"{base}[{i}].calls[{j}].paths[{k}]")
            for k, method in enumerate(call.methods):
                problems += http_method(method, f"{base}[{i}].calls[{j}].methods[{k}]")
        for j, host in enumerate(svc.egress):
            if host not in external:
                hint = did_you_mean(host, external)
                problems.append(
                    Problem(
                        f"{base}[{i}].egress[{j}]",
                        f"{host!r} is not declared in {key_path('external_hosts')}{hint}; allowed: {', '.join(external) or 'none declared'}",
                    )
                )
        if svc.entry and "istio" in values and "gateway" not in values["istio"]:
            problems.append(Problem(f"{base}[{i}].entry", f"needs an ingress gateway: set {key_path('istio')}.gateway"))
        ports = svc.args.get("ports") or []
        if svc.entry and ports and ports[0].get("protocol") == "tcp":
            problems.append(
                Problem(
                    f"{base}[{i}].entry",
                    "an entry service needs an HTTP-like first port (http, http2, grpc): the gateway serves HTTP "
                    "and would route nothing to a tcp port",
                )
            )
    return problems


def _namespace_revision_problems(
    values: Mapping[str, Any], namespace: str, services: tuple[ServiceConfig, ...]
) -> list[Problem]:
    """Each app namespace selects a declared tag or revision; with `istio.revisions`, every one must."""
    problems: list[Problem] = []
    istio = values["istio"]
    chosen = values.get("namespace_revisions", {})
    app_namespaces = {s.namespace for s in services} | ({namespace} if values.get("external_hosts") else set())
    base = key_path("namespace_revisions")
    for ns, ref in chosen.items():
        path = f"{base}.{ns}"
        if ns not in app_namespaces:
            hint = did_you_mean(ns, app_namespaces)
            problems.append(
                Problem(
                    path,
                    f"{ns!r} is no app namespace of this stack{hint}; allowed: {', '.join(sorted(app_namespaces))}",
                )
            )
        else:
            problems += revision_ref_problems(istio, ref, path)
    if "revisions" in istio:
        for ns in sorted(app_namespaces - set(chosen)):
            problems.append(
                Problem(
                    f"{base}.{ns}",
                    f"required with {key_path('istio')}.revisions: the revision tag whose istiod injects {ns!r}",
                )
            )
    return problems

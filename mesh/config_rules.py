"""The stack's rules across keys: the calls graph, reserved and owned namespaces, each
namespace's revision, and what ambient refuses; each problem at the user's key path."""

from collections.abc import Mapping
from typing import Any

from istio_mesh import defaults, grammar
from istio_mesh.validation import (
    RESERVED_NAMESPACES,
    Problem,
    absolute_path,
    did_you_mean,
    dns_label,
    http_method,
    mesh_service_problems,
    revision_ref_problems,
)
from mesh.config_model import ServiceConfig, StackConfig
from mesh.keys import key_path


def owned_namespaces(values: Mapping[str, Any]) -> dict[str, str]:
    """Namespaces an app may not use, and who owns each."""
    istio = values.get("istio", {}) if isinstance(values.get("istio"), Mapping) else {}
    owned = {ns: "the cluster" for ns in RESERVED_NAMESPACES}
    if not values.get("allow_default_namespace"):
        owned["default"] = "the cluster (workloads nobody placed)"
    owned[str(istio.get("namespace", defaults.CONTROL_PLANE.namespace))] = (
        f"the control plane ({key_path('istio')}.namespace)"
    )
    gateway = istio.get("gateway")
    if isinstance(gateway, Mapping):
        gw_ns = str(gateway.get("namespace", defaults.GATEWAY.namespace))
        owned[gw_ns] = f"the ingress gateway ({key_path('istio')}.gateway.namespace)"
    return owned


def reserved_problems(namespace: str, path: str, owned: Mapping[str, str]) -> list[Problem]:
    if namespace not in owned:
        return []
    hint = f"; or set {key_path('allow_default_namespace')}: true" if namespace == "default" else ""
    return [
        Problem(
            path,
            f"{namespace!r} belongs to {owned[namespace]}; app namespaces may not be {', '.join(sorted(owned))}{hint}",
        )
    ]


def services_problems(
    services: tuple[ServiceConfig, ...], values: Mapping[str, Any], owned: Mapping[str, str]
) -> list[Problem]:
    """The graph's problems, then each service's own, at its key paths."""
    problems = _graph_problems(services, values)
    for i, entry in enumerate(values["services"]):
        if "namespace" in entry:
            ns_path = f"{key_path('services')}[{i}].namespace"
            problems += dns_label(entry["namespace"], ns_path, "a namespace name")
            problems += reserved_problems(entry["namespace"], ns_path, owned)
    for i, svc in enumerate(services):
        path = f"{key_path('services')}[{i}]"
        problems += [
            p
            for p in mesh_service_problems(svc.args, path)
            # The namespace is checked above, once, at the key that sets it.
            if p.path != f"{path}.namespace"
        ]
    return problems


def ambient_problems(values: Mapping[str, Any], notes: list[str]) -> list[Problem]:
    """What an ambient stack refuses; what it ignores goes to ``notes``."""
    problems: list[Problem] = []
    if values.get("namespace_revisions"):
        problems.append(
            Problem(
                key_path("namespace_revisions"),
                f"not with {key_path('istio')}.data_plane ambient: ambient namespaces select no revision "
                "(pods get no sidecar to inject)",
            )
        )
    if values.get("limit_egress", StackConfig.limit_egress):
        # Pulumi.yaml defaults it to true, so an explicit value cannot be told apart: said, not refused.
        notes.append(
            f"{key_path('limit_egress')} has no effect with {key_path('istio')}.data_plane ambient: no Sidecar "
            "resources are created, as no sidecar would read them (Istio's IST0167)"
        )
    return problems


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


def namespace_revision_problems(
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

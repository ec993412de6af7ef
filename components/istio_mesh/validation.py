"""Validation of component arguments: pure, no Pulumi.

Two passes, both collecting every problem rather than stopping at the first:
``check_shape`` (``istio_mesh.shape``) walks a value against the very TypedDicts
the component analyzer reads, and the semantic checks here and in
``istio_mesh.service_validation`` cover what a type cannot say: the grammars of
``istio_mesh.grammar``, ranges, references between fields, reserved namespaces.
"""

import re
from collections.abc import Mapping
from typing import Any

from istio_mesh import args as a
from istio_mesh import defaults, grammar
from istio_mesh.checks import (
    MAX_HELM_RELEASE_NAME,
    RESERVED_NAMESPACES,
    absolute_path,
    dns_label,
    in_range,
    reserved_namespace,
    resources,
    rule,
)
from istio_mesh.retries import retries_problems
from istio_mesh.revision_validation import (
    cluster_facts_problems,
    declared_revisions,
    revision_problems,
    revision_ref_problems,
)
from istio_mesh.service_validation import http_method, mesh_service_problems, port_name, volume_name
from istio_mesh.shape import ArgsError, Problem, check_shape, did_you_mean, join, plain, raise_if, shaped

__all__ = [
    "RESERVED_NAMESPACES",
    "ArgsError",
    "Problem",
    "absolute_path",
    "check_shape",
    "control_plane_problems",
    "declared_revisions",
    "did_you_mean",
    "dns_label",
    "external_host_problems",
    "http_method",
    "join",
    "mesh_namespace_problems",
    "mesh_service_problems",
    "plain",
    "port_name",
    "raise_if",
    "revision_ref_problems",
    "volume_name",
]


def control_plane_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Every problem of an IstioControlPlane's arguments."""
    shape, args = shaped(args, a.IstioControlPlaneArgs, path)
    if shape:
        return shape
    problems: list[Problem] = []
    if "version" in args:
        problems += rule(grammar.chart_version, args["version"], join(path, "version"))
    repo = args.get("repository")
    if repo is not None and not (
        repo.split("://")[0] in ("https", "http", "oci") and "://" in repo and repo.isprintable() and " " not in repo
    ):
        problems.append(Problem(join(path, "repository"), f"{repo!r}: allowed: an https://, http:// or oci:// URL"))
    namespace = args.get("namespace", defaults.CONTROL_PLANE.namespace)
    if "namespace" in args:
        problems += dns_label(namespace, join(path, "namespace"), "a namespace name")
        problems += reserved_namespace(namespace, join(path, "namespace"))
    if args.get("revision"):
        revision = args["revision"]
        problems += dns_label(revision, join(path, "revision"), "a revision")
        if len(f"istiod-{revision}") > MAX_HELM_RELEASE_NAME:
            problems.append(
                Problem(join(path, "revision"), f"at most {MAX_HELM_RELEASE_NAME - 7} characters (Helm release names)")
            )
    istiod = args.get("istiod", {})
    ipath = join(path, "istiod")
    if "replicas" in istiod:
        problems += in_range(istiod["replicas"], 1, 100, join(ipath, "replicas"))
    if "autoscale_max" in istiod:
        problems += in_range(istiod["autoscale_max"], 1, 100, join(ipath, "autoscale_max"))
        if istiod["autoscale_max"] < istiod.get("replicas", defaults.ISTIOD.replicas):
            problems.append(Problem(join(ipath, "autoscale_max"), "must be at least `replicas`"))
    if "resources" in istiod:
        problems += resources(istiod["resources"], defaults.ISTIOD_RESOURCES.as_dict(), join(ipath, "resources"))
    if "tracing_sampling_percent" in args:
        problems += in_range(args["tracing_sampling_percent"], 0, 100, join(path, "tracing_sampling_percent"))
    problems += cluster_facts_problems(args, path)
    problems += revision_problems(args, path)
    if "timeout_seconds" in args:
        problems += in_range(args["timeout_seconds"], 30, 3600, join(path, "timeout_seconds"))
    problems += _traffic_problems(args, path)
    if "gateway" in args:
        gpath = join(path, "gateway")
        problems += _gateway(args["gateway"], namespace, gpath)
        if "revision" in args["gateway"]:
            problems += revision_ref_problems(args, args["gateway"]["revision"], join(gpath, "revision"))
        elif "revisions" in args:
            problems.append(
                Problem(
                    join(gpath, "revision"),
                    "required with `revisions`: the revision tag whose istiod injects the gateway pods",
                )
            )
    return problems


def _traffic_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Traffic API, data plane and the Gateway API CRDs of IstioControlPlaneArgs."""
    problems: list[Problem] = []
    gateway_api = args.get("traffic_api") == "gateway-api"
    ambient = args.get("data_plane") == "ambient"
    if "default_retries" in args:
        if gateway_api:
            problems += retries_problems(args["default_retries"], join(path, "default_retries"))
        else:
            problems.append(
                Problem(
                    join(path, "default_retries"),
                    "only with `traffic_api: gateway-api`: with `istio` every route carries its own retries "
                    "(a service's `retries`), so this would change nothing",
                )
            )
    gpath = join(path, "gateway_api")
    crds = args.get("gateway_api", {})
    if "version" in crds:
        version = crds["version"]
        match = re.fullmatch(r"v([0-9]+)\.([0-9]+)\.([0-9]+)", version)
        if not match:
            problems.append(
                Problem(join(gpath, "version"), f'{version!r} is not a Gateway API release; allowed: such as "v1.5.1"')
            )
        elif (int(match[1]), int(match[2])) < (1, defaults.GATEWAY_API_MIN_MINOR):
            problems.append(
                Problem(
                    join(gpath, "version"),
                    f"Istio {args.get('version', defaults.CONTROL_PLANE.version)} is built against Gateway API "
                    f"{defaults.GATEWAY_API.version}; {version}'s CRDs lack fields it reads (such as HTTPRoute "
                    f"timeouts and mirror percentages): upgrade the cluster's CRDs to v1.{defaults.GATEWAY_API_MIN_MINOR} "
                    "or later, or let the stack install them (`install_crds: true`)",
                )
            )
    if "channel" in crds and not (gateway_api or crds.get("install_crds")):
        problems.append(
            Problem(
                join(gpath, "channel"),
                "is read only with `traffic_api: gateway-api` (which HTTPRoute fields routes use) or "
                "`install_crds: true` (which CRDs are installed); set one of them, or drop this key",
            )
        )
    if "crds_file" in crds:
        if not crds.get("install_crds"):
            problems.append(
                Problem(join(gpath, "crds_file"), "is read only with `install_crds: true`; set it, or drop this key")
            )
        elif not crds["crds_file"].strip() or not crds["crds_file"].isprintable():
            problems.append(Problem(join(gpath, "crds_file"), "allowed: a URL or a file path"))
    if ambient:
        for key in ("revisions", "tags", "revision"):
            if args.get(key):
                problems.append(
                    Problem(
                        join(path, key),
                        "not with `data_plane: ambient`: ztunnel and the CNI agent serve every revision at once, "
                        "so a revision canary does not move the data plane; upgrade ambient in place (`version`)",
                    )
                )
        if "revision" in args.get("gateway", {}):
            problems.append(
                Problem(join(join(path, "gateway"), "revision"), "not with `data_plane: ambient` (no revisions)")
            )
    else:
        for key in ("cni_values", "ztunnel_values"):
            if key in args:
                problems.append(Problem(join(path, key), "only with `data_plane: ambient`, which installs that chart"))
    return problems


def _gateway(gateway: Mapping[str, Any], control_plane_namespace: str, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if "namespace" in gateway:
        problems += dns_label(gateway["namespace"], join(path, "namespace"), "a namespace name")
        problems += reserved_namespace(gateway["namespace"], join(path, "namespace"))
        if gateway["namespace"] == control_plane_namespace:
            problems.append(Problem(join(path, "namespace"), "must differ from the control plane's namespace"))
    if "replicas" in gateway:
        problems += in_range(gateway["replicas"], 1, 100, join(path, "replicas"))
    hosts = gateway.get("hosts", [])
    for i, host in enumerate(hosts):
        if host != "*":
            problems += rule(grammar.host, host, join(join(path, "hosts"), i))
    if "hosts" in gateway and not hosts:
        problems.append(
            Problem(join(path, "hosts"), "needs at least one host; allowed: host names, '*' or '*.<domain>'")
        )
    if len(set(hosts)) != len(hosts):
        problems.append(Problem(join(path, "hosts"), "lists a host twice"))
    if "tls_credential_name" in gateway:
        problems += dns_label(gateway["tls_credential_name"], join(path, "tls_credential_name"), "a Secret name")
    return problems


def external_host_problems(hosts: list[Mapping[str, Any]], path: str) -> list[Problem]:
    """Problems of a list of ExternalHostArgs (shape already checked)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, ext in enumerate(hosts):
        epath = join(path, i)
        problems += rule(grammar.host, ext["host"], join(epath, "host"))
        if ext["host"] in seen:
            problems.append(Problem(join(epath, "host"), f"{ext['host']!r} is declared twice"))
        seen.add(ext["host"])
        if "port" in ext:
            problems += in_range(ext["port"], 1, 65535, join(epath, "port"))
    return problems


def mesh_namespace_problems(args: Mapping[str, Any], path: str, name: str | None = None) -> list[Problem]:
    """Every problem of a MeshNamespace's arguments; ``name`` is the component's name,
    the namespace's unless ``namespace_name`` is set."""
    shape, args = shaped(args, a.MeshNamespaceArgs, path)
    if shape:
        return shape
    problems: list[Problem] = []
    if "namespace_name" in args:
        problems += dns_label(args["namespace_name"], join(path, "namespace_name"), "a namespace name")
        problems += reserved_namespace(args["namespace_name"], join(path, "namespace_name"))
    elif name is not None:
        where = f"{path} (the component's name)"
        problems += dns_label(name, where, "a namespace name") + reserved_namespace(name, where)
    if args.get("revision"):
        problems += dns_label(args["revision"], join(path, "revision"), "a revision")
        if args.get("data_plane") == "ambient":
            problems.append(
                Problem(join(path, "revision"), "not with `data_plane: ambient`: pods get no sidecar to inject")
            )
    problems += external_host_problems(args.get("external_hosts", []), join(path, "external_hosts"))
    for key, value in args.get("labels", {}).items():
        lpath = join(join(path, "labels"), key)
        if key in ("istio-injection", "istio.io/rev", "istio.io/dataplane-mode"):
            problems.append(Problem(lpath, "mesh labels come from `revision` and `data_plane`; set those instead"))
        problems += _label(key, value, lpath)
    return problems


def _label(key: str, value: str, path: str) -> list[Problem]:
    prefix, _, name = key.rpartition("/")
    problems: list[Problem] = []
    name_ok = len(name) <= 63 and grammar.LABEL_NAME.fullmatch(name) is not None
    if not name_ok or (prefix and grammar.host(prefix) is not None):
        problems.append(
            Problem(
                path, f"{key!r} is not a label key: [prefix/]name, the name at most 63 of a-z, A-Z, 0-9, '-', '_', '.'"
            )
        )
    if isinstance(value, str) and value and (len(value) > 63 or grammar.LABEL_NAME.fullmatch(value) is None):
        problems.append(
            Problem(
                path,
                f"{value!r} is not a label value: at most 63 of a-z, A-Z, 0-9, '-', '_', '.', alphanumeric at both ends",
            )
        )
    return problems

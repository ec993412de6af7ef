"""What IstioControlPlane registers, as plain data: pure, no Pulumi."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from istio_mesh import defaults as d
from istio_mesh.validation import control_plane_problems, plain, raise_if

Manifest = dict[str, Any]


@dataclass(frozen=True)
class ReleaseSpec:
    """One Helm release."""

    key: str
    """Suffix of the Pulumi resource name, unique within the component."""
    name: str
    """Helm release name, explicit so that Helm adds no random suffix."""
    chart: str
    """Chart name, or the full ``oci://`` reference."""
    repository: str | None
    """Repository URL for ``repository_opts``; None for an OCI chart."""
    version: str
    namespace: str
    values: dict[str, Any]
    after: tuple[str, ...]
    """Keys of the releases that must be ready first."""
    protect: bool
    retain_on_delete: bool
    timeout: int = d.HELM_TIMEOUT_SECONDS
    """Seconds the release may take to become ready."""


@dataclass(frozen=True)
class ControlPlaneSpec:
    """Everything IstioControlPlane registers, in dependency order."""

    version: str
    revision: str
    namespace: str
    injection_labels: dict[str, str]
    namespaces: list[Manifest]
    releases: list[ReleaseSpec]
    resources: list[Manifest] = field(default_factory=list)
    """Istio custom resources, registered after istiod (validation fails closed)."""
    gateway_ref: str = ""
    """The Gateway as ``<namespace>/<name>``; empty without a gateway."""
    protect: bool = False


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base``: maps merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def injection_labels(revision: str) -> dict[str, str]:
    """Namespace labels that select a control plane for sidecar injection.

    Never both: with both, the revision label is ignored (Istio's IST0123).
    """
    return {"istio.io/rev": revision} if revision else {"istio-injection": "enabled"}


def k8s_resources(res: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """ResourcesArgs as a container's ``resources``."""
    return {
        "requests": {"cpu": res["cpu_request"], "memory": res["memory_request"]},
        "limits": {"cpu": res["cpu_limit"], "memory": res["memory_limit"]},
    }


def _chart(repository: str, chart: str) -> tuple[str, str | None]:
    if repository.startswith("oci://"):
        return f"{repository.rstrip('/')}/{chart}", None
    return chart, repository


def control_plane_spec(args: Mapping[str, Any], path: str = "args") -> ControlPlaneSpec:
    """The control plane for validated or raw args; raises ArgsError listing every problem."""
    raise_if(control_plane_problems(args, path), "IstioControlPlane arguments")
    args = plain(args)
    version = args.get("version", d.ISTIO_VERSION)
    repository = args.get("repository", d.CHART_REPOSITORY)
    namespace = args.get("namespace", d.ISTIO_NAMESPACE)
    revision = args.get("revision", "")
    protect = args.get("protect", False)
    timeout = args.get("timeout_seconds", d.HELM_TIMEOUT_SECONDS)
    istiod = args.get("istiod", {})
    replicas = istiod.get("replicas", 1)
    resources = {**d.ISTIOD_RESOURCES, **istiod.get("resources", {})}
    # Webhooks that fail closed never let a resource through unvalidated; and
    # with the same policy in both charts Helm and the cluster do not drift.
    fail_closed = {"base": {"validationFailurePolicy": "Fail"}}
    global_values = {"global": {"istioNamespace": namespace}}
    base_values = deep_merge(
        {**fail_closed, **global_values, **({"defaultRevision": revision} if revision else {})},
        args.get("base_values", {}),
    )
    pilot: dict[str, Any] = {
        "replicaCount": replicas,
        "autoscaleEnabled": "autoscale_max" in istiod,
        "resources": k8s_resources(resources),
    }
    if "autoscale_max" in istiod:
        pilot |= {"autoscaleMin": replicas, "autoscaleMax": istiod["autoscale_max"]}
    mesh_config: dict[str, Any] = {
        "accessLogFile": "/dev/stdout" if args.get("access_log", True) else "",
        "outboundTrafficPolicy": {"mode": args.get("outbound_traffic_policy", "ALLOW_ANY")},
        "enablePrometheusMerge": True,
        # Apps start after their proxy, so their first calls do not fail.
        "defaultConfig": {"holdApplicationUntilProxyStarts": True},
    }
    istiod_values = deep_merge(
        {
            **fail_closed,
            # Explicit, so that several istiod pods are never drained at once.
            "global": {**global_values["global"], "defaultPodDisruptionBudget": {"enabled": True}},
            **({"revision": revision} if revision else {}),
            "pilot": pilot,
            "meshConfig": mesh_config,
        },
        args.get("istiod_values", {}),
    )
    chart_base, repo = _chart(repository, "base")
    chart_istiod, _ = _chart(repository, "istiod")
    releases = [
        ReleaseSpec(
            "base", "istio-base", chart_base, repo, version, namespace, base_values, (), protect, protect, timeout
        ),
        ReleaseSpec(
            "istiod",
            "istiod",
            chart_istiod,
            repo,
            version,
            namespace,
            istiod_values,
            ("base",),
            protect,
            False,
            timeout,
        ),
    ]
    namespaces = [_namespace(namespace)]
    resources_out = [
        _manifest(
            "security.istio.io/v1",
            "PeerAuthentication",
            "default",
            namespace,
            {"mtls": {"mode": args.get("mtls_mode", "STRICT")}},
        ),
        _manifest(
            "telemetry.istio.io/v1",
            "Telemetry",
            "mesh-default",
            namespace,
            {
                **({"accessLogging": [{"providers": [{"name": "envoy"}]}]} if args.get("access_log", True) else {}),
                "tracing": [
                    {
                        "randomSamplingPercentage": float(
                            args.get("tracing_sampling_percent", d.TRACING_SAMPLING_PERCENT)
                        )
                    }
                ],
            },
        ),
    ]
    gateway_ref = ""
    if "gateway" in args:
        gateway = args["gateway"]
        gw_namespace = gateway.get("namespace", d.GATEWAY_NAMESPACE)
        # The chart labels its pods for injection (gateway template); the namespace needs no label.
        namespaces.append(_namespace(gw_namespace))
        chart_gateway, _ = _chart(repository, "gateway")
        gateway_values = deep_merge(
            {
                **({"revision": revision} if revision else {}),
                "replicaCount": gateway.get("replicas", 1),
                # A fixed replica count; the chart's default autoscaler would ignore it.
                "autoscaling": {"enabled": False},
                "service": {"type": gateway.get("service_type", "LoadBalancer")},
                **({"podDisruptionBudget": {"minAvailable": 1}} if gateway.get("replicas", 1) > 1 else {}),
            },
            gateway.get("values", {}),
        )
        releases.append(
            ReleaseSpec(
                "gateway",
                d.GATEWAY_RELEASE,
                chart_gateway,
                repo,
                version,
                gw_namespace,
                gateway_values,
                ("istiod",),
                protect,
                False,
                timeout,
            )
        )
        resources_out.append(_gateway(gateway, gw_namespace))
        gateway_ref = f"{gw_namespace}/{d.GATEWAY_RELEASE}"
    return ControlPlaneSpec(
        version=version,
        revision=revision,
        namespace=namespace,
        injection_labels=injection_labels(revision),
        namespaces=namespaces,
        releases=releases,
        resources=resources_out,
        gateway_ref=gateway_ref,
        protect=protect,
    )


def _namespace(name: str, labels: Mapping[str, str] | None = None) -> Manifest:
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def _manifest(api_version: str, kind: str, name: str, namespace: str, spec: Mapping[str, Any]) -> Manifest:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": dict(spec),
    }


def _gateway(gateway: Mapping[str, Any], namespace: str) -> Manifest:
    hosts = gateway.get("hosts", ["*"])
    http: dict[str, Any] = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": hosts}
    servers = [http]
    if "tls_credential_name" in gateway:
        http["tls"] = {"httpsRedirect": True}
        servers.append(
            {
                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                "hosts": hosts,
                "tls": {"mode": "SIMPLE", "credentialName": gateway["tls_credential_name"]},
            }
        )
    return _manifest(
        "networking.istio.io/v1",
        "Gateway",
        d.GATEWAY_RELEASE,
        namespace,
        {"selector": dict(d.GATEWAY_SELECTOR), "servers": servers},
    )

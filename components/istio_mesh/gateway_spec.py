"""The ingress gateway's identity and Gateway objects (Istio's and the Gateway API's), and
istiod's mesh config: parts of what IstioControlPlane registers; pure, no Pulumi."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi import Input

from istio_mesh import defaults as d
from istio_mesh.args import GatewayArgs, IstioControlPlaneArgs, TracingArgs
from istio_mesh.retries import retry_policy

Manifest = dict[str, Any]
"""A Kubernetes object as the API server reads it."""


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base``: maps merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class GatewayIdentity:
    """Who the gateway chart's pods are, as its templates derive it from the values."""

    name: str
    """The chart's ``gateway.name``: value ``name``, else the release name."""
    service_account: str
    """Their ServiceAccount: their mTLS identity."""
    selector: dict[str, str]
    """The ``istio`` label every one of them carries, which a Gateway selects."""


def gateway_identity(release: str, values: Mapping[str, Any]) -> GatewayIdentity:
    """The gateway pods' identity, as the gateway chart's ``_helpers.tpl`` derives it
    from the merged values (``name``, ``serviceAccount.create``/``name``,
    ``labels.istio``) over the chart's defaults (create a ServiceAccount named after
    the release; label ``istio: <name without 'istio-'>``)."""
    name = str(values.get("name") or release)
    account = values.get("serviceAccount") or {}
    if account.get("create", True):
        service_account = str(account.get("name") or name)
    else:
        service_account = str(account.get("name") or "default")
    labels = values.get("labels") or {}
    istio = str(labels.get("istio") or name.removeprefix("istio-"))
    return GatewayIdentity(name, service_account, {"istio": istio})


def mesh_config(args: IstioControlPlaneArgs, trust_domain: str) -> dict[str, Any]:
    mesh_config: dict[str, Any] = {
        "accessLogFile": "/dev/stdout" if args.get("access_log", d.CONTROL_PLANE.access_log) else "",
        "outboundTrafficPolicy": {"mode": args.get("outbound_traffic_policy", d.CONTROL_PLANE.outbound_traffic_policy)},
        "enablePrometheusMerge": True,
        "trustDomain": trust_domain,
        # Apps start after their proxy, so their first calls do not fail.
        "defaultConfig": {"holdApplicationUntilProxyStarts": True},
    }
    if args.get("traffic_api") == "gateway-api":
        # HTTPRoutes carry no retries in the standard channel: this policy is theirs.
        mesh_config["defaultHttpRetryPolicy"] = retry_policy(args.get("default_retries", {}))
    if "tracing" in args:
        # Only an extension provider: `defaultProviders` stays the chart's
        # (`metrics: [prometheus]`), so Prometheus metrics keep working; the
        # Telemetry names this provider for tracing.
        mesh_config["extensionProviders"] = [tracing_provider(args["tracing"])]
    return mesh_config


def tracing_provider(tracing: TracingArgs) -> dict[str, Any]:
    """The ``meshConfig.extensionProviders`` entry of TracingArgs."""
    kind = tracing["provider"]
    port = tracing.get("port", d.TRACING_PORTS[kind])
    return {"name": d.TRACING_PROVIDER, kind: {"service": tracing["service"], "port": port}}


def merge_providers(derived: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` deep-merged into istiod's ``derived`` values, except that the mesh
    config's ``extensionProviders`` merge by name: a list would otherwise replace ours."""
    merged = deep_merge(derived, over)
    theirs = ((over.get("meshConfig") or {}).get("extensionProviders")) or []
    ours = (derived.get("meshConfig") or {}).get("extensionProviders") or []
    if theirs and ours:
        named = {p.get("name") for p in theirs if isinstance(p, Mapping)}
        merged["meshConfig"]["extensionProviders"] = [p for p in ours if p["name"] not in named] + list(theirs)
    return merged


def namespace_manifest(name: str, labels: Mapping[str, str] | None = None) -> Manifest:
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def manifest(api_version: str, kind: str, name: str, namespace: str, spec: Mapping[str, Any]) -> Manifest:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": dict(spec),
    }


def istio_gateway(gateway: GatewayArgs, namespace: str, selector: Mapping[str, str]) -> Manifest:
    hosts = gateway.get("hosts", list(d.GATEWAY.hosts))
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
    return manifest(
        "networking.istio.io/v1",
        "Gateway",
        d.GATEWAY_RELEASE,
        namespace,
        {"selector": dict(selector), "servers": servers},
    )


def kubernetes_gateway(gateway: GatewayArgs, namespace: str, name: str, address: str) -> list[Manifest]:
    """The ingress as a Gateway API Gateway of class ``istio``: a listener per host on
    80 (and 443 with TLS, port 80 then only redirecting), routes from any namespace."""
    hosts = gateway.get("hosts", list(d.GATEWAY.hosts))
    tls = gateway.get("tls_credential_name")

    def listener(protocol: str, port: int, i: int, host: Input[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"name": f"{protocol.lower()}-{i}", "port": port, "protocol": protocol}
        if host != "*":
            out["hostname"] = host
        if protocol == "HTTPS":
            out["tls"] = {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": tls}]}
        # With TLS, plain HTTP only carries the redirect, which lives beside the Gateway.
        out["allowedRoutes"] = {"namespaces": {"from": "Same" if tls and protocol == "HTTP" else "All"}}
        return out

    listeners = [listener("HTTP", 80, i, h) for i, h in enumerate(hosts)]
    if tls:
        listeners += [listener("HTTPS", 443, i, h) for i, h in enumerate(hosts)]
    out: list[Manifest] = [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "gatewayClassName": d.GATEWAY_CLASS,
                "addresses": [{"type": "Hostname", "value": address}],
                "listeners": listeners,
            },
        }
    ]
    if tls:
        out.append(
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "metadata": {"name": f"{name}-https-redirect", "namespace": namespace},
                "spec": {
                    "parentRefs": [
                        {
                            "group": "gateway.networking.k8s.io",
                            "kind": "Gateway",
                            "name": name,
                            "sectionName": f"http-{i}",
                        }
                        for i in range(len(hosts))
                    ],
                    "rules": [
                        {
                            "filters": [
                                {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
                            ]
                        }
                    ],
                },
            }
        )
    return out

"""What MeshService registers, as Kubernetes and Istio manifests: pure, no Pulumi.

Python names stop here: every dict this module returns is camelCase, as the API
server reads it.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from istio_mesh import ambient_spec, gateway_api_spec
from istio_mesh import defaults as d
from istio_mesh.control_plane_spec import Manifest, k8s_resources
from istio_mesh.retries import retry_policy
from istio_mesh.shape import is_known
from istio_mesh.validation import mesh_service_problems, plain, port_name, raise_if, volume_name


@dataclass(frozen=True)
class ServiceSpec:
    """Everything MeshService registers."""

    name: str
    """The Service's name."""
    namespace: str
    host: str
    """The Service's cluster-wide DNS name, the VirtualService and DestinationRule host."""
    port: int
    """The first port: the one routes and probes use."""
    versions: tuple[str, ...]
    """The versions' names, in order."""
    workloads: tuple[Manifest, ...]
    """ServiceAccount, Deployments, Service and their companions (read-only)."""
    istio: tuple[Manifest, ...]
    """Custom resources, Istio's and the Gateway API's (read-only)."""


def service_host(name: str, namespace: str, cluster_domain: str = d.CLUSTER_DOMAIN) -> str:
    """A Service's fully qualified name, unambiguous from any namespace."""
    return f"{name}.{namespace}.svc.{cluster_domain}"


def principal(namespace: str, service_account: str, trust_domain: str = d.TRUST_DOMAIN) -> str:
    """The mTLS identity Istio gives a workload's ServiceAccount."""
    return f"{trust_domain}/ns/{namespace}/sa/{service_account}"


def _meta(name: str, namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def mesh_service_spec(name: str, args: Mapping[str, Any], path: str = "args") -> ServiceSpec:
    """The objects of one microservice; raises ArgsError listing every problem of ``args``.

    A new spec on every call: build it once and hand it to ``MeshService.of_spec``
    where the same spec is also analysed or rendered."""
    raise_if(mesh_service_problems(args, path, name), f"MeshService {name!r} arguments")
    return _build(name, plain(args))


def _build(name: str, args: Mapping[str, Any]) -> ServiceSpec:
    """``args`` are valid plain data: no Enum members."""
    svc = args.get("service_name", name)
    namespace = args["namespace"]
    host = service_host(svc, namespace, args.get("cluster_domain", d.CLUSTER_DOMAIN))
    labels = {"app": svc, "app.kubernetes.io/name": svc}
    if "part_of" in args:
        labels["app.kubernetes.io/part-of"] = args["part_of"]
    workloads: list[Manifest] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(svc, namespace, labels),
            "automountServiceAccountToken": args.get("automount_service_account_token", False),
        }
    ]
    secret_data = _secret_data(args)
    if secret_data:
        workloads.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": _meta(env_secret_name(svc), namespace, labels),
                "type": "Opaque",
                # The component marks these values secret when it registers them.
                "stringData": secret_data,
            }
        )
    for version in args["versions"]:
        workloads += _version_workloads(svc, namespace, labels, version, args)
    ambient = args.get("data_plane", d.DATA_PLANE) == "ambient"
    waypoint = ambient and ambient_spec.needs_waypoint(args)
    service = _service(svc, namespace, labels, args["ports"])
    if waypoint:
        service["metadata"]["labels"].update(ambient_spec.waypoint_labels(svc))
    workloads.append(service)
    istio: list[Manifest]
    if args.get("traffic_api", d.TRAFFIC_API) == "gateway-api":
        workloads += gateway_api_spec.version_services(svc, namespace, labels, args, service)
        cluster_domain = args.get("cluster_domain", d.CLUSTER_DOMAIN)
        istio = gateway_api_spec.destination_rules(svc, namespace, labels, args, cluster_domain, _traffic_policy)
        routes = gateway_api_spec.routes(svc, namespace, labels, args)
        if ambient and not waypoint:
            # Nothing in ambient reads a mesh route without a waypoint (ztunnel is L4
            # only); the ingress gateway, a proxy of its own, still reads its route.
            routes = [r for r in routes if r["spec"]["parentRefs"][0]["kind"] != "Service"]
        istio += routes
    else:
        istio = [_destination_rule(svc, namespace, host, labels, args)]
        services = _virtual_services(svc, namespace, host, labels, args)
        if ambient and not waypoint:
            services = ambient_spec.ingress_only(services)
        istio += services
    if waypoint:
        istio.append(ambient_spec.waypoint(svc, namespace, labels))
    trust_domain = args.get("trust_domain", d.TRUST_DOMAIN)
    if "allowed_callers" in args:
        policy = _authorization_policy(svc, namespace, labels, args["allowed_callers"], trust_domain)
        if waypoint:
            # Callers reach the pods through the waypoint: it enforces their rules, and
            # ztunnel, which sees only the waypoint's identity, admits the waypoint.
            policy["spec"] = ambient_spec.targeting_service(svc, policy["spec"])
            istio += [policy, ambient_spec.admit_waypoint(svc, namespace, labels, trust_domain)]
        else:
            istio.append(policy)
    if "egress_hosts" in args:
        root = args.get("root_namespace", d.ISTIO_NAMESPACE)
        istio.append(_sidecar(svc, namespace, labels, args["egress_hosts"], root))
    if "jwt" in args:
        http_ports = [p["port"] for p in args["ports"] if p.get("protocol", "http") != "tcp"]
        jwt = _jwt(svc, namespace, labels, args["jwt"], http_ports)
        if waypoint:
            for manifest in jwt:
                manifest["spec"] = ambient_spec.targeting_service(svc, manifest["spec"])
        istio += jwt
    versions = tuple(v["name"] for v in args["versions"])
    return ServiceSpec(svc, namespace, host, args["ports"][0]["port"], versions, tuple(workloads), tuple(istio))


def _version_workloads(
    svc: str, namespace: str, labels: Mapping[str, str], version: Mapping[str, Any], args: Mapping[str, Any]
) -> list[Manifest]:
    ver = version["name"]
    name = f"{svc}-{ver}"
    # `app` and `version` are what Istio's telemetry, Kiali and Grafana group by.
    selector = {"app": svc, "version": ver}
    pod_labels = {**labels, **selector, "app.kubernetes.io/version": ver}
    if args.get("data_plane", d.DATA_PLANE) == "sidecar":
        pod_labels["sidecar.istio.io/inject"] = "true"
    replicas = version.get("replicas", args.get("replicas", d.REPLICAS))
    autoscaling = args.get("autoscaling")
    deployment_spec: dict[str, Any] = {
        "selector": {"matchLabels": selector},
        "revisionHistoryLimit": 5,
        "template": {
            "metadata": {"labels": pod_labels, "annotations": _pod_annotations(args)},
            "spec": _pod_spec(svc, selector, version, args),
        },
    }
    # Under an autoscaler the replica count is the autoscaler's: setting it here
    # would reset it on every `pulumi up`.
    if not autoscaling:
        deployment_spec["replicas"] = replicas
    meta_labels = {**labels, **selector, "app.kubernetes.io/version": ver}
    objects: list[Manifest] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(name, namespace, meta_labels),
            "spec": deployment_spec,
        }
    ]
    if (replicas > 1 or autoscaling) and args.get("disruption_budget", True):
        objects.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": _meta(name, namespace, meta_labels),
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}},
            }
        )
    if autoscaling:
        objects.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": _meta(name, namespace, meta_labels),
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": max(replicas, 1),
                    "maxReplicas": autoscaling["max_replicas"],
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {
                                    "type": "Utilization",
                                    "averageUtilization": autoscaling.get("cpu_utilization", d.HPA_CPU_UTILIZATION),
                                },
                            },
                        }
                    ],
                },
            }
        )
    return objects


def _pod_annotations(args: Mapping[str, Any]) -> dict[str, str]:
    if args.get("data_plane", d.DATA_PLANE) == "ambient":
        # No sidecar to configure, and nothing to restart for: ztunnel serves the pods.
        return {}
    annotations = _proxy_annotations(args.get("proxy", {}))
    if "injected_by" in args:
        # A change rolls the pods, which the new revision then injects.
        annotations[d.INJECTED_BY_ANNOTATION] = args["injected_by"]
    return annotations


def _proxy_annotations(proxy: Mapping[str, str]) -> dict[str, str]:
    res = {**d.PROXY_RESOURCES, **{k: v for k, v in proxy.items() if k != "log_level"}}
    # The sidecar is customised through annotations, never a hand-written
    # istio-proxy container: the injector owns its image and bootstrap.
    return {
        "sidecar.istio.io/proxyCPU": res["cpu_request"],
        "sidecar.istio.io/proxyMemory": res["memory_request"],
        "sidecar.istio.io/proxyCPULimit": res["cpu_limit"],
        "sidecar.istio.io/proxyMemoryLimit": res["memory_limit"],
        "sidecar.istio.io/logLevel": proxy.get("log_level", d.PROXY_LOG_LEVEL),
        "proxy.istio.io/config": json.dumps({"holdApplicationUntilProxyStarts": True}, sort_keys=True),
    }


def env_secret_name(svc: str) -> str:
    """The Secret that holds a service's secret and not-yet-known env values."""
    return f"{svc}-env"


def _env_sources(owner: Mapping[str, Any]) -> dict[str, tuple[Any, bool]]:
    """Env name -> (value, held in the Secret)."""
    out = {k: (v, not is_known(v)) for k, v in owner.get("env", {}).items()}
    out |= {k: (v, True) for k, v in owner.get("secret_env", {}).items()}
    return out


def _secret_key(version: Mapping[str, Any], name: str) -> str:
    """A Secret key: the env name, prefixed with the version for a version's own value."""
    return f"{version['name']}.{name}" if name in _env_sources(version) else name


def _secret_data(args: Mapping[str, Any]) -> dict[str, Any]:
    data = {k: v for k, (v, secret) in _env_sources(args).items() if secret}
    for version in args["versions"]:
        data |= {f"{version['name']}.{k}": v for k, (v, secret) in _env_sources(version).items() if secret}
    return dict(sorted(data.items()))


def _env(svc: str, version: Mapping[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    merged = {**_env_sources(args), **_env_sources(version)}
    out: list[dict[str, Any]] = []
    for name, (value, secret) in sorted(merged.items()):
        if secret:
            ref = {"name": env_secret_name(svc), "key": _secret_key(version, name)}
            out.append({"name": name, "valueFrom": {"secretKeyRef": ref}})
        else:
            out.append({"name": name, "value": value})
    return out


def _pod_spec(
    svc: str, selector: Mapping[str, str], version: Mapping[str, Any], args: Mapping[str, Any]
) -> dict[str, Any]:
    uid = args.get("run_as_user", d.RUN_AS_USER)
    env = _env(svc, version, args)
    writable = args.get("writable_paths", d.WRITABLE_PATHS)
    first = args["ports"][0]
    probe_target: dict[str, Any] = (
        {"httpGet": {"path": args["health_path"], "port": first["port"]}}
        if "health_path" in args
        else {"tcpSocket": {"port": first["port"]}}
    )
    container: dict[str, Any] = {
        "name": svc,
        "image": version["image"],
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": port_name(p), "containerPort": p["port"], "protocol": "TCP"} for p in args["ports"]],
        "env": env,
        "resources": k8s_resources({**d.APP_RESOURCES, **args.get("resources", {})}),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": args.get("read_only_root_filesystem", True),
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        # Startup gives a slow start a minute; liveness then only restarts a hung app.
        "startupProbe": {**probe_target, "periodSeconds": 2, "failureThreshold": 30},
        "readinessProbe": {**probe_target, "periodSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {**probe_target, "periodSeconds": 10, "failureThreshold": 3},
        "volumeMounts": [{"name": volume_name(p), "mountPath": p} for p in writable],
    }
    if not env:
        del container["env"]
    pod: dict[str, Any] = {
        "serviceAccountName": svc,
        "automountServiceAccountToken": args.get("automount_service_account_token", False),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": uid,
            "runAsGroup": uid,
            "fsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                # Spread when possible, but never leave a pod pending on a small cluster.
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": dict(selector)},
            }
        ],
        "containers": [container],
        "volumes": [{"name": volume_name(p), "emptyDir": {}} for p in writable],
    }
    if not args.get("spread_across_nodes", True):
        del pod["topologySpreadConstraints"]
    return pod


def _service(svc: str, namespace: str, labels: Mapping[str, str], ports: list[Mapping[str, Any]]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(svc, namespace, labels),
        "spec": {
            # One Service spans every version; subsets split them.
            "selector": {"app": svc},
            "ports": [
                {
                    "name": port_name(p),
                    "port": p["port"],
                    "targetPort": p["port"],
                    "protocol": "TCP",
                    "appProtocol": p.get("protocol", "http"),
                }
                for p in ports
            ],
        },
    }


def _traffic_policy(tp: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "load_balancer" in tp:
        out["loadBalancer"] = {"simple": tp["load_balancer"]}
    pool = tp.get("connection_pool")
    if pool:
        tcp = {
            k2: pool[k]
            for k, k2 in (("max_connections", "maxConnections"), ("connect_timeout", "connectTimeout"))
            if k in pool
        }
        http = {
            k2: pool[k]
            for k, k2 in (
                ("http1_max_pending_requests", "http1MaxPendingRequests"),
                ("http2_max_requests", "http2MaxRequests"),
                ("max_requests_per_connection", "maxRequestsPerConnection"),
            )
            if k in pool
        }
        out["connectionPool"] = {**({"tcp": tcp} if tcp else {}), **({"http": http} if http else {})}
    if "outlier_detection" in tp:
        od = {**d.OUTLIER_DETECTION, **tp["outlier_detection"]}
        out["outlierDetection"] = {
            "consecutive5xxErrors": od["consecutive_5xx_errors"],
            "interval": od["interval"],
            "baseEjectionTime": od["base_ejection_time"],
            "maxEjectionPercent": od["max_ejection_percent"],
        }
    return out


def _destination_rule(
    svc: str, namespace: str, host: str, labels: Mapping[str, str], args: Mapping[str, Any]
) -> Manifest:
    # No `tls` here: Istio's auto mTLS then matches whatever PeerAuthentication
    # says, STRICT or PERMISSIVE, so the two cannot disagree.
    spec: dict[str, Any] = {"host": host}
    if args.get("traffic_policy"):
        spec["trafficPolicy"] = _traffic_policy(args["traffic_policy"])
    subsets = []
    for version in args["versions"]:
        subset: dict[str, Any] = {"name": version["name"], "labels": {"version": version["name"]}}
        if version.get("traffic_policy"):
            subset["trafficPolicy"] = _traffic_policy(version["traffic_policy"])
        subsets.append(subset)
    spec["subsets"] = subsets
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": _meta(svc, namespace, labels),
        "spec": spec,
    }


def _string_match(sm: Mapping[str, str]) -> dict[str, str]:
    return dict(sm)


def _match(match: Mapping[str, Any]) -> dict[str, Any]:
    headers = {h: _string_match(sm) for h, sm in match.get("headers", {}).items()}
    if "cookie_regex" in match:
        headers["cookie"] = {"regex": match["cookie_regex"]}
    out: dict[str, Any] = {}
    if headers:
        out["headers"] = headers
    if "uri_prefix" in match:
        out["uri"] = {"prefix": match["uri_prefix"]}
    return out


def _http_route(index: int, route: Mapping[str, Any], host: str, port: int, args: Mapping[str, Any]) -> dict[str, Any]:
    # Every destination names the port: on a multi-port Service Istio cannot guess it.
    def destination(version: str | None) -> dict[str, Any]:
        dest: dict[str, Any] = {"host": host, "port": {"number": port}}
        if version:
            dest["subset"] = version
        return dest

    out: dict[str, Any] = {"name": route.get("name", f"route-{index}")}
    if route.get("match"):
        out["match"] = [_match(m) for m in route["match"]]
    dests = route.get("destinations", [])
    if dests:
        out["route"] = [
            {"destination": destination(x["version"]), "weight": x.get("weight", 100 if len(dests) == 1 else 0)}
            for x in dests
        ]
    else:
        out["route"] = [{"destination": destination(None)}]
    out["retries"] = retry_policy(args.get("retries", {}), route.get("retries", {}))
    out["timeout"] = route.get("timeout", args.get("timeout", d.ROUTE_TIMEOUT))
    fault = route.get("fault")
    if fault:
        out["fault"] = {}
        if "delay" in fault:
            out["fault"]["delay"] = {
                "fixedDelay": fault["delay"],
                "percentage": {"value": float(fault.get("delay_percent", 100))},
            }
        if "abort_status" in fault:
            out["fault"]["abort"] = {
                "httpStatus": fault["abort_status"],
                "percentage": {"value": float(fault.get("abort_percent", 100))},
            }
    if "mirror" in route:
        out["mirror"] = destination(route["mirror"]["version"])
        out["mirrorPercentage"] = {"value": float(route["mirror"].get("percent", 100))}
    return out


def _virtual_services(
    svc: str, namespace: str, host: str, labels: Mapping[str, str], args: Mapping[str, Any]
) -> list[Manifest]:
    first = args["ports"][0]
    port = first["port"]
    routes = args.get("routes") or [{"name": "default"}]
    traffic: dict[str, Any]
    if first.get("protocol", "http") == "tcp":
        traffic = {"tcp": [{"route": [{"destination": {"host": host, "port": {"number": port}}}]}]}
    else:
        traffic = {"http": [_http_route(i, r, host, port, args) for i, r in enumerate(routes)]}

    def virtual_service(name: str, spec: dict[str, Any]) -> Manifest:
        return {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": _meta(name, namespace, labels),
            "spec": {**spec, **traffic},
        }

    expose = args.get("expose")
    if not expose:
        return [virtual_service(svc, {"hosts": [host]})]
    external = expose.get("hosts", ["*"])
    if "*" not in external:
        # Bound to the Gateway as well as to the mesh: both are listed.
        return [virtual_service(svc, {"hosts": [host, *external], "gateways": ["mesh", expose["gateway"]]})]
    # Istio rejects host "*" on a VirtualService bound to the mesh (it would
    # capture every call in the mesh), so the gateway gets its own, same routes.
    return [
        virtual_service(svc, {"hosts": [host]}),
        virtual_service(f"{svc}-ingress", {"hosts": external, "gateways": [expose["gateway"]]}),
    ]


def _authorization_policy(
    svc: str, namespace: str, labels: Mapping[str, str], callers: list[Mapping[str, Any]], trust_domain: str
) -> Manifest:
    rules = []
    for caller in sorted(callers, key=lambda c: (c["namespace"], c["service_account"])):
        rule: dict[str, Any] = {
            "from": [
                {"source": {"principals": [principal(caller["namespace"], caller["service_account"], trust_domain)]}}
            ]
        }
        operation = {k: caller[k] for k in ("methods", "paths") if caller.get(k)}
        if operation:
            rule["to"] = [{"operation": operation}]
        rules.append(rule)
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": _meta(svc, namespace, labels),
        "spec": {"selector": {"matchLabels": {"app": svc}}, "action": "ALLOW", "rules": rules},
    }


def _sidecar(svc: str, namespace: str, labels: Mapping[str, str], hosts: list[str], root: str) -> Manifest:
    # The root namespace holds the control plane (istiod) the proxy must reach.
    egress_hosts = sorted({*hosts, f"{root}/*"})
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Sidecar",
        "metadata": _meta(svc, namespace, labels),
        "spec": {"workloadSelector": {"labels": {"app": svc}}, "egress": [{"hosts": egress_hosts}]},
    }


def _jwt(
    svc: str, namespace: str, labels: Mapping[str, str], jwt: Mapping[str, Any], ports: list[int]
) -> list[Manifest]:
    rule: dict[str, Any] = {"issuer": jwt["issuer"], "jwksUri": jwt["jwks_uri"]}
    if jwt.get("audiences"):
        rule["audiences"] = list(jwt["audiences"])
    selector = {"matchLabels": {"app": svc}}
    return [
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "RequestAuthentication",
            "metadata": _meta(svc, namespace, labels),
            "spec": {"selector": selector, "jwtRules": [rule]},
        },
        {
            # RequestAuthentication alone lets token-less requests through; ALLOW
            # policies are OR-ed, so only a DENY can make the token required.
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": _meta(f"{svc}-require-jwt", namespace, labels),
            "spec": {
                "selector": selector,
                "action": "DENY",
                # Scoped to the HTTP ports: on a TCP port a DENY on HTTP attributes
                # would deny everything (Istio's IST0133).
                "rules": [
                    {
                        "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                        "to": [{"operation": {"ports": [str(p) for p in ports]}}],
                    }
                ],
            },
        },
    ]


def grant_policy(
    callee: ServiceSpec, caller_namespace: str, caller_service_account: str, trust_domain: str = d.TRUST_DOMAIN
) -> Manifest:
    """An ALLOW policy, in the callee's namespace, that admits one caller's identity to
    the callee: what a caller brings along when it names its callee by reference.
    ALLOW policies add up, so it widens the callee's own policy by exactly this caller."""
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": f"{callee.name}-from-{caller_service_account}", "namespace": callee.namespace},
        "spec": {
            "selector": {"matchLabels": {"app": callee.name}},
            "action": "ALLOW",
            "rules": [
                {
                    "from": [
                        {"source": {"principals": [principal(caller_namespace, caller_service_account, trust_domain)]}}
                    ]
                }
            ],
        },
    }

"""What MeshService registers, as Kubernetes and Istio manifests: pure, no Pulumi.

Python names stop here: every dict this module returns is camelCase, as the API
server reads it.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from pulumi import Input

from istio_mesh import ambient_spec, gateway_api_spec
from istio_mesh import defaults as d
from istio_mesh.args import AutoscalingArgs, MeshServiceArgs, PortArgs, ProxyArgs, VersionArgs
from istio_mesh.control_plane_spec import Manifest, k8s_resources
from istio_mesh.routing_spec import destination_rule, meta, traffic_policy, virtual_services
from istio_mesh.security_spec import authorization_policy, jwt_policies
from istio_mesh.shape import is_known, known_first
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


def service_host(name: str, namespace: str, cluster_domain: str = d.SERVICE.cluster_domain) -> str:
    """A Service's fully qualified name, unambiguous from any namespace."""
    return f"{name}.{namespace}.svc.{cluster_domain}"


def mesh_service_spec(name: str, args: MeshServiceArgs, path: str = "args") -> ServiceSpec:
    """The objects of one microservice; raises ArgsError listing every problem of ``args``.

    A new spec on every call: build it once and hand it to ``MeshService.of_spec``
    where the same spec is also analysed or rendered."""
    raise_if(mesh_service_problems(args, path, name), f"MeshService {name!r} arguments")
    # Past validation the arguments are what their type says (Enum members as values).
    return _build(name, cast(MeshServiceArgs, plain(args)))


def _build(name: str, args: MeshServiceArgs) -> ServiceSpec:
    """``args`` are valid plain data: no Enum members."""
    svc = args.get("service_name", name)
    namespace = args["namespace"]
    host = service_host(svc, namespace, args.get("cluster_domain", d.SERVICE.cluster_domain))
    labels = {"app": svc, "app.kubernetes.io/name": svc}
    if "part_of" in args:
        labels["app.kubernetes.io/part-of"] = args["part_of"]
    workloads: list[Manifest] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta(svc, namespace, labels),
            "automountServiceAccountToken": args.get(
                "automount_service_account_token", d.SERVICE.automount_service_account_token
            ),
        }
    ]
    secret_data = _secret_data(args)
    if secret_data:
        workloads.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": meta(env_secret_name(svc), namespace, labels),
                "type": "Opaque",
                # The component marks these values secret when it registers them.
                "stringData": secret_data,
            }
        )
    for version in args["versions"]:
        workloads += _version_workloads(svc, namespace, labels, version, args)
    ambient = args.get("data_plane", d.SERVICE.data_plane) == "ambient"
    waypoint = ambient and ambient_spec.needs_waypoint(args)
    service = _service(svc, namespace, labels, args["ports"])
    if waypoint:
        service["metadata"]["labels"].update(ambient_spec.waypoint_labels(svc))
    workloads.append(service)
    istio = _istio(svc, namespace, host, labels, args, service, workloads, ambient, waypoint)
    versions = tuple(v["name"] for v in args["versions"])
    return ServiceSpec(svc, namespace, host, args["ports"][0]["port"], versions, tuple(workloads), tuple(istio))


def _istio(
    svc: str,
    namespace: str,
    host: str,
    labels: dict[str, str],
    args: MeshServiceArgs,
    service: Manifest,
    workloads: list[Manifest],
    ambient: bool,
    waypoint: bool,
) -> list[Manifest]:
    """The custom resources: routes (either traffic API), the waypoint, authorization,
    the Sidecar and JWT. Gateway API routes need a Service per version, added to ``workloads``."""
    istio: list[Manifest]
    if args.get("traffic_api", d.SERVICE.traffic_api) == "gateway-api":
        workloads += gateway_api_spec.version_services(svc, namespace, labels, args, service)
        cluster_domain = args.get("cluster_domain", d.SERVICE.cluster_domain)
        istio = gateway_api_spec.destination_rules(svc, namespace, labels, args, cluster_domain, traffic_policy)
        routes = gateway_api_spec.routes(svc, namespace, labels, args)
        if ambient and not waypoint:
            # Nothing in ambient reads a mesh route without a waypoint (ztunnel is L4
            # only); the ingress gateway, a proxy of its own, still reads its route.
            routes = [r for r in routes if r["spec"]["parentRefs"][0]["kind"] != "Service"]
        istio += routes
    else:
        istio = [destination_rule(svc, namespace, host, labels, args)]
        services = virtual_services(svc, namespace, host, labels, args)
        if ambient and not waypoint:
            services = ambient_spec.ingress_only(services)
        istio += services
    if waypoint:
        istio.append(ambient_spec.waypoint(svc, namespace, labels))
    trust_domain = args.get("trust_domain", d.SERVICE.trust_domain)
    if "allowed_callers" in args:
        policy = authorization_policy(svc, namespace, labels, args["allowed_callers"], trust_domain)
        if waypoint:
            # Callers reach the pods through the waypoint: it enforces their rules, and
            # ztunnel, which sees only the waypoint's identity, admits the waypoint.
            policy["spec"] = ambient_spec.targeting_service(svc, policy["spec"])
            istio += [policy, ambient_spec.admit_waypoint(svc, namespace, labels, trust_domain)]
        else:
            istio.append(policy)
    if "egress_hosts" in args:
        root = args.get("root_namespace", d.SERVICE.root_namespace)
        istio.append(_sidecar(svc, namespace, labels, args["egress_hosts"], root))
    if "jwt" in args:
        http_ports = [p["port"] for p in args["ports"] if p.get("protocol", d.PORT.protocol) != "tcp"]
        jwt = jwt_policies(svc, namespace, labels, args["jwt"], http_ports)
        if waypoint:
            for manifest in jwt:
                manifest["spec"] = ambient_spec.targeting_service(svc, manifest["spec"])
        istio += jwt
    return istio


def _version_workloads(
    svc: str, namespace: str, labels: Mapping[str, str], version: VersionArgs, args: MeshServiceArgs
) -> list[Manifest]:
    ver = version["name"]
    name = f"{svc}-{ver}"
    # `app` and `version` are what Istio's telemetry, Kiali and Grafana group by.
    selector = {"app": svc, "version": ver}
    pod_labels = {**labels, **selector, "app.kubernetes.io/version": ver}
    if args.get("data_plane", d.SERVICE.data_plane) == "sidecar":
        pod_labels["sidecar.istio.io/inject"] = "true"
    replicas = version.get("replicas", args.get("replicas", d.SERVICE.replicas))
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
            "metadata": meta(name, namespace, meta_labels),
            "spec": deployment_spec,
        }
    ]
    if (replicas > 1 or autoscaling) and args.get("disruption_budget", d.SERVICE.disruption_budget):
        objects.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": meta(name, namespace, meta_labels),
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}},
            }
        )
    if autoscaling:
        objects.append(_autoscaler(name, namespace, meta_labels, replicas, autoscaling))
    return objects


def _autoscaler(
    name: str, namespace: str, labels: Mapping[str, str], replicas: int, autoscaling: AutoscalingArgs
) -> Manifest:
    """A version's HorizontalPodAutoscaler, on CPU, from its replica count up."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, namespace, labels),
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
                            "averageUtilization": autoscaling.get("cpu_utilization", d.AUTOSCALING.cpu_utilization),
                        },
                    },
                }
            ],
        },
    }


def _pod_annotations(args: MeshServiceArgs) -> dict[str, Any]:
    if args.get("data_plane", d.SERVICE.data_plane) == "ambient":
        # No sidecar to configure, and nothing to restart for: ztunnel serves the pods.
        return {}
    annotations = _proxy_annotations(args.get("proxy", {}))
    if "injected_by" in args:
        # A change rolls the pods, which the new revision then injects.
        annotations[d.INJECTED_BY_ANNOTATION] = args["injected_by"]
    return annotations


def _proxy_annotations(proxy: ProxyArgs) -> dict[str, Any]:
    """Annotation values may be Outputs: proxy sizes are Inputs."""
    res: dict[str, Any] = {**d.PROXY.sizes(), **{k: v for k, v in proxy.items() if k != "log_level"}}
    # The sidecar is customised through annotations, never a hand-written
    # istio-proxy container: the injector owns its image and bootstrap.
    return {
        "sidecar.istio.io/proxyCPU": res["cpu_request"],
        "sidecar.istio.io/proxyMemory": res["memory_request"],
        "sidecar.istio.io/proxyCPULimit": res["cpu_limit"],
        "sidecar.istio.io/proxyMemoryLimit": res["memory_limit"],
        "sidecar.istio.io/logLevel": proxy.get("log_level", d.PROXY.log_level),
        "proxy.istio.io/config": json.dumps({"holdApplicationUntilProxyStarts": True}, sort_keys=True),
    }


def env_secret_name(svc: str) -> str:
    """The Secret that holds a service's secret and not-yet-known env values."""
    return f"{svc}-env"


def _env_sources(owner: MeshServiceArgs | VersionArgs) -> dict[str, tuple[Any, bool]]:
    """Env name -> (value, held in the Secret)."""
    out = {k: (v, not is_known(v)) for k, v in owner.get("env", {}).items()}
    out |= {k: (v, True) for k, v in owner.get("secret_env", {}).items()}
    return out


def _secret_key(version: VersionArgs, name: str) -> str:
    """A Secret key: the env name, prefixed with the version for a version's own value."""
    return f"{version['name']}.{name}" if name in _env_sources(version) else name


def _secret_data(args: MeshServiceArgs) -> dict[str, Any]:
    data = {k: v for k, (v, secret) in _env_sources(args).items() if secret}
    for version in args["versions"]:
        data |= {f"{version['name']}.{k}": v for k, (v, secret) in _env_sources(version).items() if secret}
    return dict(sorted(data.items()))


def _env(svc: str, version: VersionArgs, args: MeshServiceArgs) -> list[dict[str, Any]]:
    merged = {**_env_sources(args), **_env_sources(version)}
    out: list[dict[str, Any]] = []
    for name, (value, secret) in sorted(merged.items()):
        if secret:
            ref = {"name": env_secret_name(svc), "key": _secret_key(version, name)}
            out.append({"name": name, "valueFrom": {"secretKeyRef": ref}})
        else:
            out.append({"name": name, "value": value})
    return out


def _pod_spec(svc: str, selector: Mapping[str, str], version: VersionArgs, args: MeshServiceArgs) -> dict[str, Any]:
    uid = args.get("run_as_user", d.SERVICE.run_as_user)
    env = _env(svc, version, args)
    writable = args.get("writable_paths", d.SERVICE.writable_paths)
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
        "resources": k8s_resources({**d.RESOURCES.as_dict(), **cast(dict[str, Any], args.get("resources", {}))}),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": args.get("read_only_root_filesystem", d.SERVICE.read_only_root_filesystem),
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
        "automountServiceAccountToken": args.get(
            "automount_service_account_token", d.SERVICE.automount_service_account_token
        ),
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
    if not args.get("spread_across_nodes", d.SERVICE.spread_across_nodes):
        del pod["topologySpreadConstraints"]
    return pod


def _service(svc: str, namespace: str, labels: Mapping[str, str], ports: list[PortArgs]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(svc, namespace, labels),
        "spec": {
            # One Service spans every version; subsets split them.
            "selector": {"app": svc},
            "ports": [
                {
                    "name": port_name(p),
                    "port": p["port"],
                    "targetPort": p["port"],
                    "protocol": "TCP",
                    "appProtocol": p.get("protocol", d.PORT.protocol),
                }
                for p in ports
            ],
        },
    }


def _sidecar(svc: str, namespace: str, labels: Mapping[str, str], hosts: list[Input[str]], root: str) -> Manifest:
    # The root namespace holds the control plane (istiod) the proxy must reach.
    egress_hosts = known_first([*hosts, f"{root}/*"])
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Sidecar",
        "metadata": meta(svc, namespace, labels),
        "spec": {"workloadSelector": {"labels": {"app": svc}}, "egress": [{"hosts": egress_hosts}]},
    }

"""What IstioControlPlane registers, as plain data: pure, no Pulumi."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

from istio_mesh import defaults as d
from istio_mesh.args import GatewayArgs, IstioControlPlaneArgs
from istio_mesh.gateway_spec import (
    GatewayIdentity,
    Manifest,
    deep_merge,
    gateway_identity,
    istio_gateway,
    kubernetes_gateway,
    manifest,
    merge_providers,
    mesh_config,
    namespace_manifest,
    tracing_provider,
)
from istio_mesh.validation import control_plane_problems, plain, raise_if

__all__ = [
    "ControlPlaneSpec",
    "GatewayIdentity",
    "Manifest",
    "ReleaseSpec",
    "control_plane_spec",
    "deep_merge",
    "gateway_identity",
    "injection_labels",
    "k8s_resources",
    "tracing_provider",
]


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
    timeout: int = d.CONTROL_PLANE.timeout_seconds
    """Seconds the release may take to become ready."""


@dataclass(frozen=True)
class CrdFileSpec:
    """A file of CustomResourceDefinitions applied as is (the Gateway API's install manifest)."""

    key: str
    """Suffix of the Pulumi resource name, unique within the component."""
    file: str
    """URL or local path of the manifest."""
    version: str
    """The release it installs, such as "v1.5.1"."""


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
    revisions: dict[str, str] = field(default_factory=dict)
    """istiod revisions ("" for the default one) to their chart versions, oldest first."""
    tags: dict[str, str] = field(default_factory=dict)
    """Revision tags to the revisions they point at."""
    istiod_keys: tuple[str, ...] = ("istiod",)
    """Keys of the istiod releases, in order."""
    trust_domain: str = d.CONTROL_PLANE.trust_domain
    cluster_domain: str = d.CONTROL_PLANE.cluster_domain
    gateway_namespace: str = ""
    gateway_service_account: str = ""
    """The gateway pods' ServiceAccount, as the gateway chart derives it; empty without a gateway."""
    traffic_api: str = d.CONTROL_PLANE.traffic_api
    """What routes compile to: "istio" or "gateway-api"."""
    data_plane: str = d.CONTROL_PLANE.data_plane
    """"sidecar" or "ambient"."""
    crd_files: tuple[CrdFileSpec, ...] = ()
    """CRD manifests applied before istiod, which watches them (the Gateway API's)."""
    gateway_api_version: str = d.GATEWAY_API.version
    """The Gateway API release installed, or the one the cluster is said to have."""
    gateway_api_channel: str = d.GATEWAY_API.channel
    """Its channel: "standard" or "experimental" (HTTPRoute retries)."""

    def resolve(self, ref: str) -> str:
        """The revision a revision or tag names ("" selects the default revision)."""
        return self.tags.get(ref, ref)

    def injected_by(self, ref: str) -> str:
        """``<revision>/<version>`` of what injects pods that select ``ref`` (a tag
        or revision): the pod-template annotation that restarts them when it changes."""
        revision = self.resolve(ref)
        return f"{revision or 'default'}/{self.revisions.get(revision, self.version)}"


def injection_labels(revision: str, data_plane: str = d.CONTROL_PLANE.data_plane) -> dict[str, str]:
    """Namespace labels that put its pods on the mesh: for ambient, ztunnel's label and
    no injection label; for sidecars, the one that selects a control plane.

    Never both injection labels: with both, the revision label is ignored (Istio's IST0123).
    """
    if data_plane == "ambient":
        return {"istio.io/dataplane-mode": "ambient"}
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


@dataclass(frozen=True)
class _Install:
    """What every release of one control plane shares."""

    repository: str
    version: str
    namespace: str
    protect: bool
    timeout: int

    def release(
        self, key: str, name: str, chart: str, values: dict[str, Any], after: tuple[str, ...], **over: Any
    ) -> ReleaseSpec:
        """A release of ``chart`` (never retained on delete: a destroy must uninstall
        base, or its fail-closed validating webhook stays and the next install finds
        the name taken)."""
        chart_ref, repo = _chart(self.repository, chart)
        fields: dict[str, Any] = {"version": self.version, "namespace": self.namespace} | over
        return ReleaseSpec(
            key, name, chart_ref, repo, fields["version"], fields["namespace"], values, after, self.protect,
            False, self.timeout,
        )  # fmt: skip


def control_plane_spec(args: IstioControlPlaneArgs, path: str = "args") -> ControlPlaneSpec:
    """The control plane for validated or raw args; raises ArgsError listing every problem."""
    raise_if(control_plane_problems(args, path), "IstioControlPlane arguments")
    # Past validation the arguments are what their type says (Enum members as values).
    args = cast(IstioControlPlaneArgs, plain(args))
    install = _Install(
        args.get("repository", d.CONTROL_PLANE.repository),
        args.get("version", d.CONTROL_PLANE.version),
        args.get("namespace", d.CONTROL_PLANE.namespace),
        args.get("protect", d.CONTROL_PLANE.protect),
        args.get("timeout_seconds", d.CONTROL_PLANE.timeout_seconds),
    )
    namespace = install.namespace
    tags: dict[str, str] = dict(args.get("tags", {}))
    # Canary: one istiod per declared revision; in place: one istiod, `revision`.
    revisions = (
        {r["name"]: r.get("version", install.version) for r in args["revisions"]}
        if "revisions" in args
        else {args.get("revision", d.CONTROL_PLANE.revision): install.version}
    )
    # The default revision validates Istio resources (base's default validator).
    default_revision = next(iter(revisions))
    base_values = deep_merge(
        {
            **_FAIL_CLOSED,
            "global": {"istioNamespace": namespace},
            **({"defaultRevision": default_revision} if default_revision else {}),
        },
        args.get("base_values", {}),
    )
    releases = [install.release("base", "istio-base", "base", base_values, ())]
    istiod = _istiod_releases(args, install, revisions, tags)
    releases += istiod
    ambient = args.get("data_plane", d.CONTROL_PLANE.data_plane) == "ambient"
    if ambient:
        releases += _ambient_releases(args, install, after=istiod[-1].key)
    gateway_api = args.get("gateway_api", {})
    gateway_api_version = gateway_api.get("version", d.GATEWAY_API.version)
    gateway_api_channel = gateway_api.get("channel", d.GATEWAY_API.channel)
    crd_files: tuple[CrdFileSpec, ...] = ()
    if gateway_api.get("install_crds"):
        release_asset = d.GATEWAY_API_CRDS_URL.format(version=gateway_api_version, channel=gateway_api_channel)
        url = gateway_api.get("crds_file", release_asset)
        crd_files = (CrdFileSpec("gateway-api-crds", url, gateway_api_version),)
    spec = ControlPlaneSpec(
        version=install.version,
        revision=args.get("revision", d.CONTROL_PLANE.revision),
        namespace=namespace,
        injection_labels=injection_labels(
            args.get("revision", d.CONTROL_PLANE.revision), args.get("data_plane", d.CONTROL_PLANE.data_plane)
        ),
        namespaces=[namespace_manifest(namespace)],
        releases=releases,
        resources=_mesh_resources(args, namespace),
        protect=install.protect,
        revisions=revisions,
        tags=tags,
        istiod_keys=tuple(r.key for r in istiod),
        trust_domain=args.get("trust_domain", d.CONTROL_PLANE.trust_domain),
        cluster_domain=args.get("cluster_domain", d.CONTROL_PLANE.cluster_domain),
        traffic_api=args.get("traffic_api", d.CONTROL_PLANE.traffic_api),
        data_plane=args.get("data_plane", d.CONTROL_PLANE.data_plane),
        crd_files=crd_files,
        gateway_api_version=gateway_api_version,
        gateway_api_channel=gateway_api_channel,
    )
    if "gateway" not in args:
        return spec
    # Gateways after the data plane: base → istiod → (cni → ztunnel) → gateways.
    data_plane_keys = ("ztunnel",) if ambient else spec.istiod_keys
    return _with_gateway(spec, args["gateway"], install, data_plane_keys)


_FAIL_CLOSED = {"base": {"validationFailurePolicy": "Fail"}}
"""Webhooks that fail closed never let a resource through unvalidated; and with the
same policy in both charts Helm and the cluster do not drift."""


def _istiod_releases(
    args: IstioControlPlaneArgs, install: _Install, revisions: dict[str, str], tags: dict[str, str]
) -> list[ReleaseSpec]:
    """One istiod per revision, each after the one before it."""
    istiod = args.get("istiod", {})
    replicas = istiod.get("replicas", d.ISTIOD.replicas)
    resources = {**d.ISTIOD_RESOURCES.as_dict(), **istiod.get("resources", {})}
    pilot: dict[str, Any] = {
        "replicaCount": replicas,
        "autoscaleEnabled": "autoscale_max" in istiod,
        "resources": k8s_resources(resources),
    }
    if "autoscale_max" in istiod:
        pilot |= {"autoscaleMin": replicas, "autoscaleMax": istiod["autoscale_max"]}
    cidrs = args.get("jwks_blocked_cidrs", d.CONTROL_PLANE.jwks_blocked_cidrs)
    if cidrs:
        # RequestAuthentications name JWKS URIs that istiod fetches: never internal ones.
        pilot["env"] = {"BLOCKED_CIDRS_IN_JWKS_URIS": ",".join(cidrs)}
    trust_domain = args.get("trust_domain", d.CONTROL_PLANE.trust_domain)
    cluster_domain = args.get("cluster_domain", d.CONTROL_PLANE.cluster_domain)
    ambient = args.get("data_plane", d.CONTROL_PLANE.data_plane) == "ambient"
    releases: list[ReleaseSpec] = []
    after = "base"
    for rev, rev_version in revisions.items():
        key = f"istiod-{rev}" if "revisions" in args else "istiod"
        values = merge_providers(
            {
                **_FAIL_CLOSED,
                # Explicit, so that several istiod pods are never drained at once.
                "global": {
                    "istioNamespace": install.namespace,
                    "defaultPodDisruptionBudget": {"enabled": True},
                    "proxy": {"clusterDomain": cluster_domain},
                },
                **({"revision": rev} if rev else {}),
                # The chart's revision-tags template renders each tag's injection webhook.
                **({"revisionTags": sorted(t for t, r in tags.items() if r == rev)} if tags else {}),
                "pilot": pilot,
                "meshConfig": mesh_config(args, trust_domain),
                # The chart's ambient profile: istiod serves ztunnel and waypoints.
                **({"profile": "ambient"} if ambient else {}),
            },
            args.get("istiod_values", {}),
        )
        # In list order: a tag leaves the older revision before the newer takes it,
        # as Helm refuses a webhook another release owns.
        releases.append(install.release(key, key, "istiod", values, (after,), version=rev_version))
        after = key
    return releases


def _ambient_releases(args: IstioControlPlaneArgs, install: _Install, after: str) -> list[ReleaseSpec]:
    """The node agents, after istiod (their certificates and config come from it), the
    CNI first so that no pod starts unsecured: base → istiod → cni → ztunnel. The cni
    chart installs into its release's namespace; ztunnel reaches istiod by ``istioNamespace``."""
    profile = {"profile": "ambient"}
    cni_values = deep_merge(profile, args.get("cni_values", {}))
    ztunnel_values = deep_merge({**profile, "istioNamespace": install.namespace}, args.get("ztunnel_values", {}))
    return [
        install.release("cni", d.CNI_RELEASE, "cni", cni_values, (after,)),
        install.release("ztunnel", d.ZTUNNEL_RELEASE, "ztunnel", ztunnel_values, ("cni",)),
    ]


def _mesh_resources(args: IstioControlPlaneArgs, namespace: str) -> list[Manifest]:
    """The mesh-wide mTLS mode and telemetry, in the root namespace."""
    telemetry: dict[str, Any] = {}
    if args.get("access_log", d.CONTROL_PLANE.access_log):
        telemetry["accessLogging"] = [{"providers": [{"name": "envoy"}]}]
    if "tracing" in args:
        telemetry["tracing"] = [
            {
                "providers": [{"name": d.TRACING_PROVIDER}],
                "randomSamplingPercentage": float(
                    args.get("tracing_sampling_percent", d.CONTROL_PLANE.tracing_sampling_percent)
                ),
            }
        ]
    return [
        manifest(
            "security.istio.io/v1",
            "PeerAuthentication",
            "default",
            namespace,
            {"mtls": {"mode": args.get("mtls_mode", d.CONTROL_PLANE.mtls_mode)}},
        ),
        manifest("telemetry.istio.io/v1", "Telemetry", "mesh-default", namespace, telemetry),
    ]


def _with_gateway(
    spec: ControlPlaneSpec, gateway: GatewayArgs, install: _Install, after: tuple[str, ...]
) -> ControlPlaneSpec:
    """``spec`` with the ingress gateway: its namespace, release and Gateway object."""
    gw_namespace = gateway.get("namespace", d.GATEWAY.namespace)
    gw_revision = gateway.get("revision", spec.revision)
    replicas = gateway.get("replicas", d.GATEWAY.replicas)
    gateway_values = deep_merge(
        {
            **({"revision": gw_revision} if gw_revision else {}),
            "replicaCount": replicas,
            # A fixed replica count; the chart's default autoscaler would ignore it.
            "autoscaling": {"enabled": False},
            "service": {"type": gateway.get("service_type", d.GATEWAY.service_type)},
            **({"podDisruptionBudget": {"minAvailable": 1}} if replicas > 1 else {}),
            # Merged over the chart's own pod annotations (Prometheus): moving the
            # gateway's tag or upgrading its revision rolls its pods.
            "podAnnotations": {d.INJECTED_BY_ANNOTATION: spec.injected_by(gw_revision)},
        },
        gateway.get("values", {}),
    )
    release = install.release("gateway", d.GATEWAY_RELEASE, "gateway", gateway_values, after, namespace=gw_namespace)
    identity = gateway_identity(d.GATEWAY_RELEASE, gateway_values)
    if spec.traffic_api == "gateway-api":
        # Manual deployment: the Gateway names the chart's Service, so Istio programs
        # those pods instead of deploying its own.
        address = f"{identity.name}.{gw_namespace}.svc.{spec.cluster_domain}"
        gateway_objects = kubernetes_gateway(gateway, gw_namespace, d.GATEWAY_RELEASE, address)
    else:
        gateway_objects = [istio_gateway(gateway, gw_namespace, identity.selector)]
    # The chart labels its pods for injection (gateway template); the namespace needs no label.
    return replace(
        spec,
        namespaces=[*spec.namespaces, namespace_manifest(gw_namespace)],
        releases=[*spec.releases, release],
        resources=[*spec.resources, *gateway_objects],
        gateway_ref=f"{gw_namespace}/{d.GATEWAY_RELEASE}",
        gateway_namespace=gw_namespace,
        gateway_service_account=identity.service_account,
    )

"""IstioControlPlane: Istio's Helm charts, in order, and the mesh-wide policies."""

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from istio_mesh.args import IstioControlPlaneArgs, MeshNamespaceArgs
from istio_mesh.control_plane_spec import ControlPlaneSpec, control_plane_spec
from istio_mesh.references import namespace_of
from istio_mesh.registration import child_name, register

if TYPE_CHECKING:
    from istio_mesh.mesh_namespace import MeshNamespace


def _status(release: k8s.helm.v3.Release) -> pulumi.Output[str]:
    def pick(status: Any) -> str:
        if status is None:
            return ""
        value = status.get("status") if isinstance(status, dict) else getattr(status, "status", None)
        return value or ""

    return release.status.apply(pick)


class IstioControlPlane(pulumi.ComponentResource):
    """Istio's control plane from its official Helm charts: `base` (CRDs and
    validation), then `istiod`, then optionally the `gateway` chart with a
    Gateway resource; plus the mesh-wide PeerAuthentication and Telemetry."""

    namespace: pulumi.Output[str]
    """Namespace of istiod."""
    version: pulumi.Output[str]
    """Istio chart version installed."""
    revision: pulumi.Output[str]
    """Control plane revision ("" for the default one)."""
    injection_labels: pulumi.Output[dict[str, str]]
    """Labels an application namespace needs for sidecar injection."""
    gateway: pulumi.Output[str]
    """The ingress Gateway as "<namespace>/<name>", "" without one."""
    base_status: pulumi.Output[str]
    """Helm status of the base release."""
    istiod_status: pulumi.Output[str]
    """Helm status of the (first, default) istiod release."""
    gateway_status: pulumi.Output[str]
    """Helm status of the gateway release, "" without one."""
    ready_releases: pulumi.Output[list[k8s.helm.v3.Release]]
    """The Helm releases custom resources and workloads must wait for (base, then
    istiod, which waits for any Gateway API CRDs; in ambient also the node agents and
    the gateway), as resource references: other languages pass them as
    MeshNamespace's and MeshService's `control_plane_ready` instead of `dependsOn`."""

    def __init__(self, name: str, args: IstioControlPlaneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._register(name, control_plane_spec(args or {}), opts)

    @classmethod
    def of_spec(
        cls, name: str, spec: ControlPlaneSpec, opts: pulumi.ResourceOptions | None = None
    ) -> "IstioControlPlane":
        """An IstioControlPlane from a spec already built with ``control_plane_spec``."""
        control_plane = cls.__new__(cls)
        control_plane._register(name, spec, opts)
        return control_plane

    def mesh_namespace(
        self, name: str, args: MeshNamespaceArgs | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> "MeshNamespace":
        """An application namespace injected by this control plane and ordered after it:
        no revision label or ``depends_on`` to write by hand."""
        return namespace_of(self, name, args, opts)

    def _releases(
        self,
        name: str,
        spec: ControlPlaneSpec,
        namespaces: dict[str, pulumi.CustomResource],
        crd_files: list[pulumi.Resource],
    ) -> dict[str, k8s.helm.v3.Release]:
        """The Helm releases, each after its namespace and the releases it names."""
        releases: dict[str, k8s.helm.v3.Release] = {}
        for rel in spec.releases:
            crds = crd_files if rel.key in spec.istiod_keys else []
            release_opts = pulumi.ResourceOptions(
                parent=self,
                depends_on=[namespaces[rel.namespace], *crds, *(releases[key] for key in rel.after)],
                protect=rel.protect,
                retain_on_delete=rel.retain_on_delete,
            )
            releases[rel.key] = k8s.helm.v3.Release(
                child_name(name, rel.key),
                name=rel.name,
                chart=rel.chart,
                version=rel.version,
                namespace=rel.namespace,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=rel.repository) if rel.repository else None,
                values=rel.values,
                # A failed install or upgrade rolls back instead of leaving a
                # half-upgraded control plane.
                atomic=True,
                timeout=rel.timeout,
                opts=release_opts,
            )
        return releases

    def _register(self, name: str, spec: ControlPlaneSpec, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__("istio-mesh:index:IstioControlPlane", name, {}, opts)
        self.spec = spec
        """What this control plane registers, as plain data."""
        namespaces = {}
        for manifest in spec.namespaces:
            # Not retained: a namespace left behind by a destroy would make the next
            # `pulumi up` fail on "already exists".
            ns_opts = pulumi.ResourceOptions(parent=self)
            namespaces[manifest["metadata"]["name"]] = register(name, manifest, ns_opts)
        # CRDs istiod watches (the Gateway API's) come before it, as the routes do.
        crd_files: list[pulumi.Resource] = [
            k8s.yaml.v2.ConfigFile(child_name(name, crd.key), file=crd.file, opts=pulumi.ResourceOptions(parent=self))
            for crd in spec.crd_files
        ]
        releases = self._releases(name, spec, namespaces, crd_files)
        data_plane = [releases[key] for key in ("cni", "ztunnel", "gateway") if key in releases]
        self.ready: list[pulumi.Resource] = [
            *crd_files,
            releases["base"],
            *(releases[key] for key in spec.istiod_keys),
            # Ambient: pods start once the CNI and ztunnel capture them, after the gateways.
            *(data_plane if spec.data_plane == "ambient" else []),
        ]
        """What custom resources and workloads must wait for: the CRDs, then the
        validating and injecting webhooks (and, in ambient, the node agents and gateways)."""
        self.releases = releases
        for manifest in spec.resources:
            # Retained when protected: a policy the stack lets go of (a rename, say) is
            # not deleted, so STRICT mTLS never lapses; a destroy removes it with its namespace.
            cr_opts = pulumi.ResourceOptions(parent=self, depends_on=self.ready, retain_on_delete=spec.protect)
            register(name, manifest, cr_opts)
        self.namespace = pulumi.Output.from_input(spec.namespace)
        self.version = pulumi.Output.from_input(spec.version)
        self.revision = pulumi.Output.from_input(spec.revision)
        self.injection_labels = pulumi.Output.from_input(spec.injection_labels)
        self.gateway = pulumi.Output.from_input(spec.gateway_ref)
        self.base_status = _status(releases["base"])
        self.istiod_status = _status(releases[spec.istiod_keys[0]])
        self.gateway_status = _status(releases["gateway"]) if "gateway" in releases else pulumi.Output.from_input("")
        ready_releases = [r for r in self.ready if isinstance(r, k8s.helm.v3.Release)]
        self.ready_releases = pulumi.Output.from_input(ready_releases)
        self.register_outputs(
            {
                "ready_releases": ready_releases,
                "namespace": self.namespace,
                "version": self.version,
                "revision": self.revision,
                "injection_labels": self.injection_labels,
                "gateway": self.gateway,
                "base_status": self.base_status,
                "istiod_status": self.istiod_status,
                "gateway_status": self.gateway_status,
            }
        )

"""MeshService: one microservice on the mesh."""

import functools
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from istio_mesh.args import MeshServiceArgs
from istio_mesh.registration import ordered_after, register, with_secret_refs
from istio_mesh.service_spec import ServiceSpec, env_secret_name, mesh_service_spec


def _name_of(metadata: Any, *, base: str) -> str:
    """``metadata.name`` of an object Pulumi named. Mocks that return their inputs as they
    are name nothing: there it is ``base``, the name the object was asked for."""
    name = metadata.get("name") if isinstance(metadata, dict) else getattr(metadata, "name", None)
    return str(name or base)


class MeshService(pulumi.ComponentResource):
    """One microservice on the mesh: a ServiceAccount, a Deployment per version
    (injected with the Istio sidecar), one Service over all versions, a
    DestinationRule with a subset per version, a VirtualService, and as asked an
    AuthorizationPolicy, a Sidecar, PodDisruptionBudgets and autoscalers.

    Give it the control plane's readiness, as `control_plane_ready` (the control
    plane's `ready_releases`), as `namespace_resource` (its MeshNamespace's, which
    waits for the control plane) or in `depends_on`: Pulumi registers the component once that is
    done and each child after its parent, so custom resources find their CRDs
    and validating webhook, and pods get a sidecar."""

    service_name: pulumi.Output[str]
    """The Service's name."""
    namespace: pulumi.Output[str]
    """The namespace."""
    host: pulumi.Output[str]
    """The Service's fully qualified DNS name."""
    port: pulumi.Output[int]
    """The first port."""
    versions: pulumi.Output[list[str]]
    """The versions deployed."""

    def __init__(self, name: str, args: MeshServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        spec = mesh_service_spec(name, args)
        self._register(name, spec, ordered_after(args, opts))

    @classmethod
    def of_spec(cls, name: str, spec: ServiceSpec, opts: pulumi.ResourceOptions | None = None) -> "MeshService":
        """A MeshService from a spec already built with ``mesh_service_spec`` (and so
        validated), for a program that also analyses or renders that spec."""
        service = cls.__new__(cls)
        service._register(name, spec, opts)
        return service

    def _register(self, name: str, spec: ServiceSpec, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__("istio-mesh:index:MeshService", name, {}, opts)
        self.spec = spec
        """What this service registers, as plain data: its name (and ServiceAccount),
        namespace, host and port."""
        # The parent orders the children: a child is registered once its parent
        # is, and the parent once its `depends_on` is done. A `depends_on` per
        # child would add nothing to the order and cost a resolution each.
        child_opts = pulumi.ResourceOptions(parent=self)
        # A plain loop, not a comprehension: Pulumi records the call stack of every
        # registration, and a comprehension is one more frame each time.
        self.children: list[pulumi.CustomResource] = []
        # The env Secret is named by Pulumi (`<service>-env-<suffix>`), and the Deployments
        # refer to that name: a new secret value replaces the Secret create-before-delete
        # under a new name, so the Deployments change with it and roll their pods onto the
        # new value; the old Secret goes once they have. A fixed name would be replaced
        # delete-before-replace, and running pods would keep the old value.
        secret_names: dict[str, pulumi.Output[str]] = {}
        env_secret = env_secret_name(spec.name)
        for manifest in [*spec.workloads, *spec.istio]:
            if manifest["kind"] == "Secret" and manifest["metadata"]["name"] == env_secret:
                secret = register(name, manifest, child_opts, auto_name=True)
                metadata = cast(k8s.core.v1.Secret, secret).metadata
                secret_names[env_secret] = metadata.apply(functools.partial(_name_of, base=env_secret))
                self.children.append(secret)
            elif secret_names and manifest["kind"] == "Deployment":
                self.children.append(register(name, with_secret_refs(manifest, secret_names), child_opts))
            else:
                self.children.append(register(name, manifest, child_opts))
        versions = list(spec.versions)
        self.service_name = pulumi.Output.from_input(spec.name)
        self.namespace = pulumi.Output.from_input(spec.namespace)
        self.host = pulumi.Output.from_input(spec.host)
        self.port = pulumi.Output.from_input(spec.port)
        self.versions = pulumi.Output.from_input(versions)
        # Known now: plain values spare Pulumi awaiting five Outputs per service.
        self.register_outputs(
            {
                "service_name": spec.name,
                "namespace": spec.namespace,
                "host": spec.host,
                "port": spec.port,
                "versions": versions,
            }
        )

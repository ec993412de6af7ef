"""MeshNamespace: an application namespace on the mesh."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import pulumi
import pulumi_kubernetes as k8s

from istio_mesh.args import MeshNamespaceArgs
from istio_mesh.namespace_spec import NamespaceSpec, mesh_namespace_spec
from istio_mesh.references import service_of
from istio_mesh.registration import ordered_after, register

if TYPE_CHECKING:
    from istio_mesh.control_plane import IstioControlPlane
    from istio_mesh.mesh_service import MeshService


class MeshNamespace(pulumi.ComponentResource):
    """An application namespace labelled for sidecar injection, with a
    default-deny AuthorizationPolicy, ServiceEntries for external hosts and, as
    asked, its own mTLS mode.

    Everything in it waits for the control plane's readiness, given as
    `control_plane_ready` (the control plane's `ready_releases`) or in `depends_on`;
    services deployed into it may then wait for `namespace_resource` alone."""

    namespace_name: pulumi.Output[str]
    """The namespace's name, known once it exists: depend on it through this."""
    namespace_resource: pulumi.Output[k8s.core.v1.Namespace]
    """The Namespace itself, as a resource reference: pass it as MeshService's
    `namespace_resource` to order a service after it (and so after the control plane)."""

    def __init__(self, name: str, args: MeshNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        spec = mesh_namespace_spec(name, args or {})
        self._register(name, spec, ordered_after(args or {}, opts))

    @classmethod
    def of_spec(cls, name: str, spec: NamespaceSpec, opts: pulumi.ResourceOptions | None = None) -> "MeshNamespace":
        """A MeshNamespace from a spec already built with ``mesh_namespace_spec``."""
        namespace = cls.__new__(cls)
        namespace._register(name, spec, opts)
        return namespace

    def service(
        self,
        name: str,
        args: Mapping[str, Any],
        *,
        calls: Sequence["MeshService"] = (),
        entry: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> "MeshService":
        """A MeshService in this namespace, ordered after it (and so after the control
        plane). For each service in ``calls`` it gets ``<CALLEE>_HOST``/``<CALLEE>_PORT``,
        a Sidecar that reaches the callee, and an ALLOW policy in the callee's namespace
        for its identity: ``<trust domain>/ns/<namespace>/sa/<service name>``, its own
        ServiceAccount. With ``entry`` it is bound to the control plane's gateway and
        admits the gateway's identity. ``args`` are MeshServiceArgs without ``namespace``."""
        return service_of(self, name, args, calls, entry, opts)

    def _register(self, name: str, spec: NamespaceSpec, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__("istio-mesh:index:MeshNamespace", name, {}, opts)
        self.spec = spec
        """What this namespace registers, as plain data."""
        self.control_plane: IstioControlPlane | None = None
        """The control plane that injects it, when created through it."""
        # As a child, the namespace comes after the component's `depends_on`:
        # whatever is deployed into it can wait for the namespace alone and still
        # come after the control plane.
        namespace = register(name, spec.namespace, pulumi.ResourceOptions(parent=self))
        policy_opts = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        self.policies = [register(name, m, policy_opts) for m in spec.policies]
        self.resource = namespace
        self.namespace_name = namespace.id.apply(lambda _: spec.name)
        self.namespace_resource = pulumi.Output.from_input(cast(k8s.core.v1.Namespace, namespace))
        self.register_outputs({"namespace_name": self.namespace_name, "namespace_resource": namespace})

"""MeshNamespace: an application namespace on the mesh."""

import pulumi

from istio_mesh.args import MeshNamespaceArgs
from istio_mesh.namespace_spec import NamespaceSpec, mesh_namespace_spec
from istio_mesh.registration import register


class MeshNamespace(pulumi.ComponentResource):
    """An application namespace labelled for sidecar injection, with a
    default-deny AuthorizationPolicy, ServiceEntries for external hosts and, as
    asked, its own mTLS mode.

    Everything in it waits for what is given in `depends_on` (the control plane's
    readiness); services deployed into it may then depend on `resource` alone."""

    namespace_name: pulumi.Output[str]
    """The namespace's name, known once it exists: depend on it through this."""

    def __init__(self, name: str, args: MeshNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._register(name, mesh_namespace_spec(name, args or {}), opts)

    @classmethod
    def of_spec(cls, name: str, spec: NamespaceSpec, opts: pulumi.ResourceOptions | None = None) -> "MeshNamespace":
        """A MeshNamespace from a spec already built with ``mesh_namespace_spec``."""
        namespace = cls.__new__(cls)
        namespace._register(name, spec, opts)
        return namespace

    def _register(self, name: str, spec: NamespaceSpec, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__("istio-mesh:index:MeshNamespace", name, {}, opts)
        # As a child, the namespace comes after the component's `depends_on`:
        # whatever is deployed into it can wait for the namespace alone and still
        # come after the control plane.
        namespace = register(name, spec.namespace, pulumi.ResourceOptions(parent=self))
        policy_opts = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        self.policies = [register(name, m, policy_opts) for m in spec.policies]
        self.resource = namespace
        self.namespace_name = namespace.id.apply(lambda _: spec.name)
        self.register_outputs({"namespace_name": self.namespace_name})

"""MeshNamespace: an application namespace on the mesh."""

import pulumi

from istio_mesh._register import dependencies, register
from istio_mesh.args import MeshNamespaceArgs
from istio_mesh.namespace_spec import mesh_namespace_spec


class MeshNamespace(pulumi.ComponentResource):
    """An application namespace labelled for sidecar injection, with a
    default-deny AuthorizationPolicy and, as asked, its own mTLS mode.

    The namespace itself needs nothing first; its policies wait for what is
    given in `depends_on` (the control plane's readiness)."""

    namespace_name: pulumi.Output[str]
    """The namespace's name, known once it exists: depend on it through this."""

    def __init__(self, name: str, args: MeshNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        spec = mesh_namespace_spec(name, args or {})
        super().__init__("istio-mesh:index:MeshNamespace", name, {}, opts)
        namespace = register(name, spec.namespace, pulumi.ResourceOptions(parent=self))
        policy_opts = pulumi.ResourceOptions(parent=self, depends_on=[*dependencies(opts), namespace])
        self.policies = [register(name, m, policy_opts) for m in spec.policies]
        self.resource = namespace
        self.namespace_name = namespace.id.apply(lambda _: spec.name)
        self.register_outputs({"namespace_name": self.namespace_name})

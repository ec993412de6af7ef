"""MeshService: one microservice on the mesh."""

from collections.abc import Mapping
from typing import Any

import pulumi

from istio_mesh import defaults as d
from istio_mesh.args import MeshServiceArgs
from istio_mesh.registration import register
from istio_mesh.service_spec import ServiceSpec, env_secret_name, mesh_service_spec


def _resource_version(meta: Any) -> str:
    """An ObjectMeta's resourceVersion ("" where there is none, as under mocks)."""
    if hasattr(meta, "resource_version"):  # the provider's ObjectMeta
        value = meta.resource_version
    else:
        value = meta.get("resourceVersion") if isinstance(meta, Mapping) else None
    return str(value or "")


def rolled_by(deployment: Mapping[str, Any], secret: pulumi.CustomResource) -> dict[str, Any]:
    """``deployment`` with its pod template annotated with ``secret``'s resourceVersion,
    so that a changed secret value rolls its pods (the spec itself stays untouched)."""
    version = secret.metadata.apply(_resource_version)  # type: ignore[attr-defined]
    template = deployment["spec"]["template"]
    metadata = {**template["metadata"]}
    metadata["annotations"] = {**metadata.get("annotations", {}), d.ENV_SECRET_ANNOTATION: version}
    return {**deployment, "spec": {**deployment["spec"], "template": {**template, "metadata": metadata}}}


class MeshService(pulumi.ComponentResource):
    """One microservice on the mesh: a ServiceAccount, a Deployment per version
    (injected with the Istio sidecar), one Service over all versions, a
    DestinationRule with a subset per version, a VirtualService, and as asked an
    AuthorizationPolicy, a Sidecar, PodDisruptionBudgets and autoscalers.

    Give it the control plane's readiness in `depends_on` (in Python,
    `IstioControlPlane.ready`): Pulumi registers the component once that is
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
        self._register(name, mesh_service_spec(name, args), opts)

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
        env_secret: pulumi.CustomResource | None = None
        for manifest in [*spec.workloads, *spec.istio]:
            if env_secret is not None and manifest["kind"] == "Deployment":
                manifest = rolled_by(manifest, env_secret)
            child = register(name, manifest, child_opts)
            if manifest["kind"] == "Secret" and manifest["metadata"]["name"] == env_secret_name(spec.name):
                env_secret = child
            self.children.append(child)
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

"""Provider host: serves the components to programs in any language."""

from pulumi.provider.experimental import component_provider_host

from istio_mesh import IstioControlPlane, MeshNamespace, MeshService, __version__

if __name__ == "__main__":
    component_provider_host(
        components=[IstioControlPlane, MeshNamespace, MeshService], name="istio-mesh", version=__version__
    )

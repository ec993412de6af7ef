"""Istio, one namespace and one service."""

import pulumi

from istio_mesh import GatewayServiceType, IstioControlPlane, MeshNamespace, MeshService

control_plane = IstioControlPlane("istio", {"gateway": {"service_type": GatewayServiceType.NODE_PORT}})
namespace = MeshNamespace("hello", {}, pulumi.ResourceOptions(depends_on=control_plane.ready))
hello = MeshService(
    "hello",
    {
        "namespace": "hello",
        "ports": [{"port": 8080}],
        "versions": [{"name": "v1", "image": "ghcr.io/service-mesh-demo/hello:1.0.0"}],
        "expose": {"gateway": "istio-ingress/istio-ingress"},
        "allowed_callers": [{"namespace": "istio-ingress", "service_account": "istio-ingress"}],
    },
    pulumi.ResourceOptions(depends_on=[*control_plane.ready, namespace.resource]),
)

pulumi.export("host", hello.host)
pulumi.export("istio_version", control_plane.version)

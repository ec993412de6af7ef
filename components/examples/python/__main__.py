"""Istio, one namespace and two services, wired by reference: no hosts, identities or
`depends_on` written by hand."""

import pulumi

from istio_mesh import GatewayServiceType, IstioControlPlane

control_plane = IstioControlPlane("istio", {"gateway": {"service_type": GatewayServiceType.NODE_PORT}})
shop = control_plane.mesh_namespace("shop")
review = shop.service(
    "review",
    {"ports": [{"port": 9080}], "versions": [{"name": "v1", "image": "ghcr.io/service-mesh-demo/review:2.1.0"}]},
)
product = shop.service(
    "product",
    {"ports": [{"port": 8080}], "versions": [{"name": "v1", "image": "ghcr.io/service-mesh-demo/product:1.4.0"}]},
    calls=[review],
    entry=True,
)

pulumi.export("product", product.host)
pulumi.export("review", review.host)
pulumi.export("istio_version", control_plane.version)

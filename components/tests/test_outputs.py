"""Hosts as Outputs (a name in a DNS zone another resource makes, a callee's host from
another stack): they reach the manifests as they resolve; known hosts are still checked."""

from typing import Any

import pulumi
import pytest
from conftest import service_args

from istio_mesh import ArgsError, IstioControlPlane, MeshService


def registered(mocks: Any, body: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Run ``body`` under the mocks; every object it registered, by kind and name, as resolved."""

    @pulumi.runtime.test
    def run() -> None:
        body()

    run()
    return {
        (a.typ.split(":")[-1], (a.inputs.get("metadata") or {}).get("name") or a.inputs.get("name")): a.inputs
        for a in mocks.created
    }


def zone_host() -> pulumi.Output[str]:
    """A host known only during the deployment, as a DNS zone's name would be."""
    return pulumi.Output.from_input("example.com").apply(lambda zone: f"shop.{zone}")


def test_gateway_hosts_may_be_outputs(mocks):
    objects = registered(
        mocks, lambda: IstioControlPlane("istio", {"gateway": {"hosts": [zone_host(), "api.example.com"]}})
    )
    (server,) = objects[("Gateway", "istio-ingress")]["spec"]["servers"]
    assert server["hosts"] == ["shop.example.com", "api.example.com"]


def test_an_exposed_output_host_is_a_host_name_beside_the_mesh_host(mocks):
    objects = registered(
        mocks,
        lambda: MeshService(
            "product", service_args(expose={"gateway": "istio-ingress/istio-ingress", "hosts": [zone_host()]})
        ),
    )
    spec = objects[("VirtualService", "product")]["spec"]
    assert spec["hosts"] == ["product.shop.svc.cluster.local", "shop.example.com"]
    assert spec["gateways"] == ["mesh", "istio-ingress/istio-ingress"]
    assert ("VirtualService", "product-ingress") not in objects


def test_egress_hosts_keep_known_ones_sorted_and_outputs_after_them(mocks):
    callee = pulumi.Output.from_input("billing").apply(lambda ns: f"{ns}/api.{ns}.svc.cluster.local")
    objects = registered(
        mocks, lambda: MeshService("review", service_args(egress_hosts=[callee, "shop/rating.shop.svc.cluster.local"]))
    )
    egress = objects[("Sidecar", "review")]["spec"]["egress"][0]["hosts"]
    assert egress == ["istio-system/*", "shop/rating.shop.svc.cluster.local", "billing/api.billing.svc.cluster.local"]


@pytest.mark.parametrize(
    ("args", "path"),
    [
        ({"egress_hosts": ["rating.shop"]}, r"args.egress_hosts\[0\]"),
        ({"expose": {"gateway": "istio-ingress/istio-ingress", "hosts": ["Shop!"]}}, r"args.expose.hosts\[0\]"),
    ],
)
def test_known_hosts_beside_outputs_are_still_checked_at_their_key(mocks, args, path):
    if "egress_hosts" in args:
        args["egress_hosts"].append(zone_host())
    with pytest.raises(ArgsError, match=path):
        MeshService("review", service_args(**args))


def test_a_known_gateway_host_is_still_checked_at_its_key(mocks):
    with pytest.raises(ArgsError, match=r"gateway.hosts\[1\]"):
        IstioControlPlane("istio", {"gateway": {"hosts": [zone_host(), "Not A Host"]}})

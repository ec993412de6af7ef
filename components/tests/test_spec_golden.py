"""Golden snapshots of the spec builders: for each scenario (the defaults, and every feature
at once in each mode), exactly what the component would register. A change shows up as a
diff to review; when it is meant, ``MESH_UPDATE_GOLDEN=1`` rewrites the snapshot."""

import dataclasses
import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import service_args

from istio_mesh.control_plane_spec import control_plane_spec
from istio_mesh.namespace_spec import mesh_namespace_spec
from istio_mesh.service_spec import mesh_service_spec

GOLDEN = Path(__file__).parent / "golden"

EVERYTHING: dict[str, Any] = {
    "part_of": "bookinfo",
    "versions": [
        {
            "name": "v1",
            "image": "registry.example/review:1",
            "replicas": 2,
            "env": {"V": "1"},
            "secret_env": {"K": "s"},
        },
        {"name": "v2", "image": "registry.example/review:2", "traffic_policy": {"load_balancer": "RANDOM"}},
    ],
    "ports": [{"port": 9080}, {"port": 9090, "protocol": "grpc"}, {"port": 5432, "protocol": "tcp"}],
    "env": {"LOG": "debug"},
    "secret_env": {"API_KEY": "x"},
    "resources": {"cpu_request": "100m", "memory_request": "128Mi", "cpu_limit": "1", "memory_limit": "256Mi"},
    "proxy": {"cpu_request": "50m", "memory_request": "64Mi", "log_level": "info"},
    "autoscaling": {"max_replicas": 5},
    "routes": [
        {
            "name": "testers",
            "match": [{"headers": {"end-user": {"exact": "jason"}}, "uri_prefix": "/api"}],
            "destinations": [{"version": "v2"}],
        },
        {
            "destinations": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10}],
            "timeout": "2s",
            "retries": {"attempts": 3, "per_try_timeout": "500ms"},
            "mirror": {"version": "v2", "percent": 20},
        },
    ],
    "traffic_policy": {
        "load_balancer": "LEAST_REQUEST",
        "connection_pool": {"max_requests_per_connection": 10, "connect_timeout": "1s"},
        "outlier_detection": {"consecutive_5xx_errors": 5},
    },
    "expose": {"gateway": "istio-ingress/istio-ingress", "hosts": ["shop.example.com"]},
    "allowed_callers": [{"namespace": "shop", "service_account": "product", "methods": ["GET"], "paths": ["/api/*"]}],
    "jwt": {"issuer": "https://auth.example.com", "jwks_uri": "https://auth.example.com/jwks"},
    "egress_hosts": ["shop/rating.shop.svc.cluster.local"],
    "health_path": "/health",
}

SERVICES: dict[str, dict[str, Any]] = {
    "service-defaults": service_args(),
    "service-everything": service_args(**EVERYTHING),
    "service-faults-and-star-host": service_args(
        routes=[{"fault": {"delay": "2s", "delay_percent": 10, "abort_status": 503, "abort_percent": 5}}],
        expose={"gateway": "istio-ingress/istio-ingress"},
    ),
    "service-ambient": service_args(
        data_plane="ambient",
        allowed_callers=[{"namespace": "shop", "service_account": "product", "methods": ["GET"]}],
        routes=[{"destinations": [{"version": "v1"}], "timeout": "2s"}],
    ),
    "service-gateway-api": service_args(
        traffic_api="gateway-api",
        versions=[{"name": "v1", "image": "r/a:1"}, {"name": "v2", "image": "r/a:2"}],
        routes=[
            {"match": [{"uri_prefix": "/api/v2"}], "destinations": [{"version": "v2"}]},
            {"match": [{"cookie_regex": "^(.*?;)?(user=jason)(;.*)?$"}], "destinations": [{"version": "v2"}]},
            {"destinations": [{"version": "v1", "weight": 80}, {"version": "v2", "weight": 20}], "timeout": "3s"},
        ],
        traffic_policy={"load_balancer": "RANDOM"},
        expose={"gateway": "istio-ingress/istio-ingress", "hosts": ["shop.example.com"]},
    ),
    "service-gateway-api-experimental": service_args(
        traffic_api="gateway-api",
        gateway_api_channel="experimental",
        routes=[
            {"destinations": [{"version": "v1"}], "timeout": "3s", "retries": {"attempts": 2, "per_try_timeout": "1s"}}
        ],
    ),
}

CONTROL_PLANES: dict[str, dict[str, Any]] = {
    "control-plane-defaults": {},
    "control-plane-everything": {
        "gateway": {
            "hosts": ["shop.example.com"],
            "tls_credential_name": "shop-tls",
            "replicas": 2,
            "service_type": "NodePort",
        },
        "outbound_traffic_policy": "REGISTRY_ONLY",
        "istiod": {"replicas": 3, "autoscale_max": 5},
        "tracing": {"provider": "zipkin", "service": "zipkin.observability.svc.cluster.local"},
        "tracing_sampling_percent": 10.0,
        "mtls_mode": "STRICT",
        "protect": True,
    },
    "control-plane-gateway-api": {"traffic_api": "gateway-api", "gateway": {"tls_credential_name": "shop-tls"}},
    "control-plane-ambient": {"data_plane": "ambient"},
}

NAMESPACES: dict[str, dict[str, Any]] = {
    "namespace-defaults": {},
    "namespace-everything": {
        "revision": "stable",
        "mtls_mode": "PERMISSIVE",
        "labels": {"team": "shop"},
        "external_hosts": [{"host": "api.stripe.com"}, {"host": "db.example.com", "port": 5432, "protocol": "TCP"}],
    },
    "namespace-ambient": {"data_plane": "ambient", "default_deny": False},
}


def snapshot(spec: Any) -> str:
    return json.dumps(dataclasses.asdict(spec), indent=1, sort_keys=True, default=str) + "\n"


def matches_golden(name: str, actual: str) -> None:
    path = GOLDEN / f"{name}.json"
    if os.environ.get("MESH_UPDATE_GOLDEN") == "1":
        path.write_text(actual)
    expected = path.read_text() if path.exists() else ""
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(path), "now", n=2))
        pytest.fail(f"{name} differs from its snapshot (MESH_UPDATE_GOLDEN=1 rewrites it):\n{diff[:6000]}")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_scenario_builds_exactly_its_snapshot(name):
    matches_golden(name, snapshot(mesh_service_spec(name.removeprefix("service-"), SERVICES[name])))


@pytest.mark.parametrize("name", sorted(CONTROL_PLANES))
def test_each_control_plane_scenario_builds_exactly_its_snapshot(name):
    matches_golden(name, snapshot(control_plane_spec(CONTROL_PLANES[name])))


@pytest.mark.parametrize("name", sorted(NAMESPACES))
def test_each_namespace_scenario_builds_exactly_its_snapshot(name):
    matches_golden(name, snapshot(mesh_namespace_spec("shop", NAMESPACES[name])))


def test_every_scenario_has_a_snapshot_and_no_snapshot_is_stale():
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted({*SERVICES, *CONTROL_PLANES, *NAMESPACES})

"""The annotation values Istio's injector checks (IST0108's values), one validator each:
what passes, and what is refused with which reason, at the edges of each range."""

import pytest

from mesh.analysis.annotations import VALIDATORS

BOOL = (["true", "false"], {"True": "not a boolean (true or false)", "1": "not a boolean (true or false)"})
UINT32 = (
    ["0", "1", str(2**32 - 1)],
    {
        str(2**32): "not an unsigned 32-bit integer",
        "-1": "not an unsigned 32-bit integer",
        "1.5": "not an unsigned 32-bit integer",
    },
)
PORTS = (
    ["", "*", " * ", "1", "65535", "80, 443", "8080,9090"],
    {
        "0": "not a port list: 0",
        "65536": "not a port list: 65536",
        "80,http": "not a port list: http",
        "80,": "not a port list: ",
    },
)
CIDRS = (
    ["", "*", "10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/8, 192.168.0.0/16", "fd00::/8"],
    {"10.0.0.0/33": "not a CIDR list: '10.0.0.0/33'", "10.0.0.0/8,nope": "not a CIDR list: 'nope'"},
)
QUANTITY = (
    ["100m", "1", "1.5", "2Gi", "512Mi", "1e3", "+1", "1Ei", "1E"],
    {"1GB": "not a Kubernetes quantity", "lots": "not a Kubernetes quantity", "": "not a Kubernetes quantity"},
)
LEVELS = "critical, debug, error, info, off, trace, warn, warning"
LOG_LEVEL = (
    ["trace", "debug", "info", "warning", "warn", "error", "critical", "off"],
    {"verbose": f"not a log level ({LEVELS})", "INFO": f"not a log level ({LEVELS})"},
)

CASES: dict[str, tuple[list[str], dict[str, str]]] = {
    "sidecar.istio.io/enableCoreDump": BOOL,
    "sidecar.istio.io/rewriteAppHTTPProbers": BOOL,
    "sidecar.istio.io/nativeSidecar": BOOL,
    "prometheus.istio.io/merge-metrics": BOOL,
    "sidecar.istio.io/interceptionMode": (
        ["REDIRECT", "TPROXY", "NONE"],
        {
            "redirect": "not an interception mode (REDIRECT, TPROXY, NONE)",
            "": "not an interception mode (REDIRECT, TPROXY, NONE)",
        },
    ),
    "status.sidecar.istio.io/port": (
        ["0", "15020", "65535"],
        {
            "65536": "not a port number (0 to 65535)",
            "-1": "not a port number (0 to 65535)",
            "http": "not a port number (0 to 65535)",
        },
    ),
    "readiness.status.sidecar.istio.io/initialDelaySeconds": UINT32,
    "readiness.status.sidecar.istio.io/periodSeconds": UINT32,
    "readiness.status.sidecar.istio.io/failureThreshold": UINT32,
    "traffic.sidecar.istio.io/includeInboundPorts": PORTS,
    "traffic.sidecar.istio.io/excludeInboundPorts": PORTS,
    "traffic.sidecar.istio.io/includeOutboundPorts": PORTS,
    "traffic.sidecar.istio.io/excludeOutboundPorts": PORTS,
    "traffic.sidecar.istio.io/includeOutboundIPRanges": CIDRS,
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": CIDRS,
    "sidecar.istio.io/proxyCPU": QUANTITY,
    "sidecar.istio.io/proxyCPULimit": QUANTITY,
    "sidecar.istio.io/proxyMemory": QUANTITY,
    "sidecar.istio.io/proxyMemoryLimit": QUANTITY,
    "sidecar.istio.io/logLevel": LOG_LEVEL,
    "sidecar.istio.io/agentLogLevel": LOG_LEVEL,
    "proxy.istio.io/config": (
        ['{"holdApplicationUntilProxyStarts": true}', "concurrency: 2"],
        {
            "[1, 2]": "not a mapping of ProxyConfig fields",
            "a: [": "not YAML or JSON",
            "plain": "not a mapping of ProxyConfig fields",
        },
    ),
}


def test_every_validated_annotation_has_its_cases():
    assert set(CASES) == set(VALIDATORS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_annotation_value_is_accepted_or_refused_with_its_reason(name):
    valid, invalid = CASES[name]
    assert {v: VALIDATORS[name](v) for v in valid} == dict.fromkeys(valid)
    assert {v: VALIDATORS[name](v) for v in invalid} == invalid

"""Golden snapshot: every problem users read for a corpus of MeshService arguments, in order, at its key path.

Each case is a list of services (bounds are tried on both sides); each service's problems are compared whole.
"""

import pytest

from istio_mesh.validation import mesh_service_problems

BASE = {
    "namespace": "shop",
    "versions": [{"name": "v1", "image": "registry.example/review:1.0.0"}],
    "ports": [{"port": 9080}],
}
V2 = [
    {"name": "v1", "image": "registry.example/review:1.0.0"},
    {"name": "v2", "image": "registry.example/review:2.0.0"},
]


def svc(**over):
    return {**BASE, **over}


CORPUS = {
    "a namespace that is not a DNS label, a reserved one and a bad service name": [
        svc(namespace="Shop", service_name="2fa"),
        svc(namespace="kube-system"),
    ],
    "no versions and no ports": [svc(versions=[], ports=[])],
    "versions named twice or badly, with bad images, replicas and env": [
        svc(
            versions=[
                {
                    "name": "v1",
                    "image": "Registry/Review",
                    "replicas": 1001,
                    "env": {"1X": "a", "OK": "b"},
                    "secret_env": {"OK": "c", "y-z": "d"},
                },
                {"name": "v1", "image": "r:1", "replicas": -1},
                {
                    "name": "V3",
                    "image": "r",
                    "replicas": 1000,
                    "traffic_policy": {"connection_pool": {"max_connections": 0}},
                },
                {"name": "v4", "image": "r", "replicas": 0},
            ]
        ),
    ],
    "ports out of range, declared twice, with long or repeated names": [
        svc(
            ports=[
                {"port": 0},
                {"port": 65536, "name": "x"},
                {"port": 65535, "protocol": "grpc", "name": "abcdefghij"},
                {"port": 65535, "name": "x"},
                {"port": 1, "protocol": "tcp", "name": "a--b"},
            ]
        ),
    ],
    "service replicas at and beyond their bounds": [
        svc(replicas=1001),
        svc(replicas=-1),
        svc(replicas=1000),
        svc(replicas=0),
    ],
    "env and secret env names, and a name in both": [
        svc(env={"A": "1", "B": "2", "9": "x"}, secret_env={"B": "s", "A": "t", "ok_1": "u"}),
    ],
    "resources and proxy resources above their limits and a bad log level": [
        svc(resources={"cpu_request": "4"}, proxy={"memory_request": "2Gi", "log_level": "warn"}),
        svc(proxy={"log_level": "verbose"}),
        svc(proxy={"log_level": "off", "cpu_limit": "0"}),
    ],
    "routes named twice or badly, a catch-all before others, and a bad timeout": [
        svc(
            versions=V2,
            routes=[
                {"name": "Canary", "destinations": [{"version": "v2"}]},
                {"name": "a", "match": [{"uri_prefix": "/a"}], "timeout": "0ms"},
                {"name": "a", "match": [{"uri_prefix": "/b"}]},
                {"destinations": [{"version": "v1"}]},
                {},
            ],
        ),
    ],
    "route destinations unknown, listed twice and with weights that do not add up": [
        svc(
            versions=V2,
            routes=[
                {
                    "match": [{"uri_prefix": "/x"}],
                    "destinations": [{"version": "v3"}, {"version": "v1", "weight": 101}],
                },
                {
                    "match": [{"uri_prefix": "/y"}],
                    "destinations": [{"version": "v1", "weight": 50}, {"version": "v1", "weight": 40}],
                },
                {"match": [{"uri_prefix": "/z"}], "destinations": [{"version": "v1", "weight": 90}]},
                {"match": [{"uri_prefix": "/w"}], "destinations": [{"version": "v1", "weight": 100}]},
                {"match": [{"uri_prefix": "/v"}], "destinations": [{"version": "v1"}, {"version": "v2"}]},
                {"destinations": [{"version": "v1", "weight": 0}, {"version": "v2", "weight": 100}]},
            ],
        ),
        svc(
            versions=V2, routes=[{"destinations": [{"version": "v2", "weight": -1}, {"version": "v1", "weight": 101}]}]
        ),
    ],
    "matches: empty, bad headers, bad regexes, a relative prefix": [
        svc(
            routes=[
                {
                    "match": [
                        {},
                        {"headers": {"X-User": {"exact": "a"}, "x-b": {"exact": "a", "prefix": "b"}, "x-c": {}}},
                    ]
                },
                {
                    "match": [
                        {"headers": {"x-r": {"regex": "(?=a)"}, "x-e": {"exact": "a\nb"}, "x-p": {"prefix": "ok"}}},
                        {"uri_prefix": "api", "cookie_regex": "(a"},
                        {"cookie_regex": "^user=a$", "uri_prefix": "/ok"},
                    ]
                },
            ]
        ),
    ],
    "retries, per-try timeouts and retry conditions": [
        svc(retries={"attempts": 11, "per_try_timeout": "1x", "retry_on": "5xx,,reset"}),
        svc(retries={"attempts": -1, "retry_on": ""}),
        svc(retries={"attempts": 10, "retry_on": "5xx, reset"}),
        svc(retries={"attempts": 0, "retry_on": "5xx,reset,connect-failure", "per_try_timeout": "1ms"}),
        svc(retries={"retry_on": "5xx,\x01"}),
        svc(routes=[{"retries": {"attempts": 20}}]),
    ],
    "a service timeout": [svc(timeout="forever"), svc(timeout="1h")],
    "faults without effect, percents out of range, and partial faults": [
        svc(
            routes=[
                {"match": [{"uri_prefix": "/a"}], "fault": {}},
                {"match": [{"uri_prefix": "/b"}], "fault": {"delay_percent": 101, "abort_percent": -1}},
                {"match": [{"uri_prefix": "/c"}], "fault": {"delay": "0s", "abort_status": 600}},
                {"match": [{"uri_prefix": "/d"}], "fault": {"delay": "1s", "delay_percent": 100, "abort_status": 199}},
                {"fault": {"abort_status": 200, "abort_percent": 0}},
            ]
        ),
        svc(routes=[{"fault": {"abort_status": 599, "abort_percent": 100, "delay": "5s", "delay_percent": 0}}]),
    ],
    "mirrors to unknown versions and out-of-range percents": [
        svc(
            versions=V2,
            routes=[
                {"match": [{"uri_prefix": "/a"}], "mirror": {"version": "v3", "percent": 101}},
                {"mirror": {"version": "v2", "percent": -1}},
            ],
        ),
        svc(versions=V2, routes=[{"mirror": {"version": "v2", "percent": 100}}]),
        svc(versions=V2, routes=[{"mirror": {"version": "v2", "percent": 0}}]),
    ],
    "traffic policies with bad pools and outlier detection": [
        svc(
            traffic_policy={
                "connection_pool": {"max_connections": 0, "connect_timeout": "x", "max_requests_per_connection": 2**31},
                "outlier_detection": {
                    "interval": "0s",
                    "base_ejection_time": "1",
                    "max_ejection_percent": 101,
                    "consecutive_5xx_errors": 0,
                },
            }
        ),
        svc(
            traffic_policy={
                "connection_pool": {"max_connections": 2**31 - 1, "max_requests_per_connection": 1},
                "outlier_detection": {"max_ejection_percent": 0, "consecutive_5xx_errors": 2**31 - 1},
            }
        ),
        svc(traffic_policy={"outlier_detection": {"max_ejection_percent": -1, "consecutive_5xx_errors": 2**31}}),
        svc(traffic_policy={"outlier_detection": {"max_ejection_percent": 100}}),
    ],
    "exposure through a gateway that is not namespace/name and bad hosts": [
        svc(expose={"gateway": "istio-ingress", "hosts": ["*", "Shop.example", "shop.example"]}),
        svc(expose={"gateway": "a/b/c"}),
        svc(expose={"gateway": "Ingress/gw"}),
        svc(expose={"gateway": "ingress/gw"}),
    ],
    "callers with bad namespaces, accounts, paths and methods": [
        svc(
            allowed_callers=[
                {
                    "namespace": "Web",
                    "service_account": "Front_End",
                    "paths": ["/ok", "api"],
                    "methods": ["GET", "get", "FETCH", "PATCH"],
                }
            ]
        ),
    ],
    "health paths and writable paths": [
        svc(
            health_path="healthz",
            writable_paths=["/", "/tmp/../etc", "tmp", "/tmp", "/TMP", "/var/cache", "/var/cache/"],
        ),
        svc(health_path="/healthz"),
    ],
    "the run-as user at and beyond its bounds": [
        svc(run_as_user=0),
        svc(run_as_user=2**31),
        svc(run_as_user=1),
        svc(run_as_user=2**31 - 1),
    ],
    "JWTs with bad issuers, key sets and audiences": [
        svc(jwt={"issuer": " https://auth.example", "jwks_uri": "http://auth.example/jwks", "audiences": ["shop", ""]}),
        svc(jwt={"issuer": "https://auth.example", "jwks_uri": "https://"}),
        svc(jwt={"issuer": "https://auth.example", "jwks_uri": "https://auth.example/a b"}),
        svc(jwt={"issuer": "https://auth.example", "jwks_uri": "https://auth.example/\x00"}),
        svc(jwt={"issuer": "https://auth.example", "jwks_uri": "https://auth.example/jwks"}),
    ],
    "JWTs and routes on TCP ports": [
        svc(
            ports=[{"port": 5432, "protocol": "tcp"}],
            jwt={"issuer": "i", "jwks_uri": "https://a/j"},
            routes=[{"timeout": "1s"}],
        ),
        svc(
            ports=[{"port": 5432, "protocol": "tcp"}, {"port": 8080}],
            jwt={"issuer": "i", "jwks_uri": "https://a/j"},
            routes=[{"timeout": "1s"}],
        ),
        svc(ports=[{"port": 8080}, {"port": 5432, "protocol": "tcp"}], routes=[{"timeout": "1s"}]),
    ],
    "egress hosts": [
        svc(
            egress_hosts=[
                "istio-system/*",
                "*/api.example",
                "./api.example",
                "api.example",
                "Bad/x.example",
                "ns/Bad",
                "ns/*.example",
                "*/*",
            ]
        ),
    ],
    "autoscaling bounds and the minimum of the replicas": [
        svc(autoscaling={"max_replicas": 0, "cpu_utilization": 101}),
        svc(autoscaling={"max_replicas": 1001, "cpu_utilization": 0}),
        svc(replicas=3, autoscaling={"max_replicas": 2}),
        svc(replicas=3, autoscaling={"max_replicas": 3, "cpu_utilization": 100}),
        svc(replicas=0, autoscaling={"max_replicas": 1, "cpu_utilization": 1}),
        svc(
            versions=[{"name": "v1", "image": "r", "replicas": 5}, {"name": "v2", "image": "r"}],
            autoscaling={"max_replicas": 4},
        ),
        svc(autoscaling={"max_replicas": 1000}),
    ],
    "cluster facts: root namespace, domains, part-of and the injector": [
        svc(
            root_namespace="Istio",
            trust_domain="*.example",
            cluster_domain="cluster..local",
            part_of="-shop",
            injected_by="  ",
        ),
        svc(
            root_namespace="istio-config",
            trust_domain="example.org",
            cluster_domain="cluster.local",
            part_of="",
            injected_by="gitops",
        ),
        svc(part_of="a" * 64),
        svc(part_of="a" * 63),
    ],
}

NOT_A_RETRY_CONDITION = (
    "not a retry condition Istio accepts; allowed: 5xx, gateway-error, reset, reset-before-request, "
    "connect-failure, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, "
    "envoy-ratelimited, http3-post-connect-failure, cancelled, deadline-exceeded, internal, "
    "resource-exhausted, unavailable, or an HTTP status code, separated by ','"
)

EXPECTED = {
    "a namespace that is not a DNS label, a reserved one and a bad service name": [
        [
            "s.namespace: 'Shop' is not "
            "a namespace name: 1 to 63 "
            "lower-case letters, digits "
            "and '-', starting and "
            "ending with a letter or "
            "digit",
            "s.service_name: '2fa' is "
            "not a Service name: 1 to "
            "63 lower-case letters, "
            "digits and '-', starting "
            "with a letter and ending "
            "with a letter or digit",
        ],
        [
            "s.namespace: 'kube-system' "
            "belongs to the cluster; "
            "not allowed here: "
            "kube-node-lease, "
            "kube-public, kube-system"
        ],
    ],
    "no versions and no ports": [["s.versions: needs at least one version", "s.ports: needs at least one port"]],
    "versions named twice or badly, with bad images, replicas and env": [
        [
            "s.versions[0].image: "
            "'Registry/Review' is not an image "
            "reference: "
            "[registry[:port]/]path[:tag][@sha256:digest], "
            "the path lower-case (such as "
            "'ghcr.io/acme/review:2.1.0')",
            "s.versions[0].replicas: 1001 is out of range; allowed: 0 to 1000",
            "s.versions[0].env['1X']: '1X' is not "
            "an env var name; allowed: letters, "
            "digits and '_', not starting with a "
            "digit",
            "s.versions[0].secret_env.y-z: 'y-z' "
            "is not an env var name; allowed: "
            "letters, digits and '_', not "
            "starting with a digit",
            "s.versions[0].secret_env.OK: 'OK' is also in `env`; set it in one of them",
            "s.versions[1].name: 'v1' is declared twice",
            "s.versions[1].replicas: -1 is out of range; allowed: 0 to 1000",
            "s.versions[2].name: 'V3' is not a "
            "version name: 1 to 63 lower-case "
            "letters, digits and '-', starting "
            "and ending with a letter or digit",
            "s.versions[2].traffic_policy.connection_pool.max_connections: 0 is out of range; allowed: 1 to 2147483647",
        ]
    ],
    "ports out of range, declared twice, with long or repeated names": [
        [
            "s.ports[0].port: 0 is out of range; allowed: 1 to 65535",
            "s.ports[1].port: 65536 is out of range; allowed: 1 to 65535",
            "s.ports[3].port: port 65535 is declared twice",
            "s.ports[3].name: port name 'http-x' is used twice",
            "s.ports[4].name: port name 'tcp-a--b' "
            "must be 1 to 15 lower-case letters, "
            "digits and '-', with a letter, no "
            "'--', starting and ending with a "
            "letter or digit",
        ]
    ],
    "service replicas at and beyond their bounds": [
        ["s.replicas: 1001 is out of range; allowed: 0 to 1000"],
        ["s.replicas: -1 is out of range; allowed: 0 to 1000"],
        [],
        [],
    ],
    "env and secret env names, and a name in both": [
        [
            "s.env['9']: '9' is not an env var name; allowed: letters, digits and '_', not starting with a digit",
            "s.secret_env.A: 'A' is also in `env`; set it in one of them",
            "s.secret_env.B: 'B' is also in `env`; set it in one of them",
        ]
    ],
    "resources and proxy resources above their limits and a bad log level": [
        [
            "s.resources.cpu_request: request "
            "4 is above limit 500m (the "
            "default); allowed: a request at "
            "most its limit",
            "s.proxy.memory_request: request "
            "2Gi is above limit 256Mi (the "
            "default); allowed: a request at "
            "most its limit",
            "s.proxy.log_level: 'warn' (did "
            "you mean 'warning'?); allowed: "
            "trace, debug, info, warning, "
            "error, critical, off",
        ],
        ["s.proxy.log_level: 'verbose'; allowed: trace, debug, info, warning, error, critical, off"],
        ["s.proxy.cpu_limit: a limit of 0 lets nothing run; allowed: more than 0"],
    ],
    "routes named twice or badly, a catch-all before others, and a bad timeout": [
        [
            "s.routes[0].name: 'Canary' "
            "is not a route name: 1 to "
            "63 lower-case letters, "
            "digits and '-', starting "
            "and ending with a letter or "
            "digit",
            "s.routes[0].match: a route "
            "without `match` catches "
            "every request, so the "
            "routes after it never "
            "match; move it last or give "
            "it a match",
            's.routes[1].timeout: \'0ms\' is not a duration of at least 1ms; allowed: such as "500ms", "2s", "1m30s"',
            "s.routes[2].name: route name 'a' is used twice",
            "s.routes[3].match: a route "
            "without `match` catches "
            "every request, so the "
            "routes after it never "
            "match; move it last or give "
            "it a match",
        ]
    ],
    "route destinations unknown, listed twice and with weights that do not add up": [
        [
            "s.routes[0].destinations[0].version: unknown version 'v3'; allowed: v1, v2",
            "s.routes[0].destinations[1].weight: 101 is out of range; allowed: 0 to 100",
            "s.routes[0].destinations[1].weight: weights add up to 101; allowed: a total of 100",
            "s.routes[1].destinations[1].version: 'v1' is listed twice",
            "s.routes[1].destinations[1].weight: weights add up to 90; allowed: a total of 100",
            "s.routes[2].destinations[0].weight: weights add up to 90; allowed: a total of 100",
            "s.routes[4].destinations[1].weight: weights add up to 0; allowed: a total of 100",
        ],
        [
            "s.routes[0].destinations[0].weight: -1 is out of range; allowed: 0 to 100",
            "s.routes[0].destinations[1].weight: 101 is out of range; allowed: 0 to 100",
        ],
    ],
    "matches: empty, bad headers, bad regexes, a relative prefix": [
        [
            "s.routes[0].match[0]: an empty match matches everything; leave out `match` instead",
            "s.routes[0].match[1].headers.X-User: 'X-User' is not a lower-case HTTP header name",
            "s.routes[0].match[1].headers.x-b: set exactly one of exact, prefix, regex",
            "s.routes[0].match[1].headers.x-c: set exactly one of exact, prefix, regex",
            "s.routes[1].match[0].headers.x-r.regex: "
            "'(?=a)' is not an RE2 expression (Envoy's "
            "syntax): invalid perl operator: (?=",
            "s.routes[1].match[0].headers.x-e.exact: 'a\\nb': header values have no control characters",
            "s.routes[1].match[1].uri_prefix: 'api': "
            "allowed: a path starting with '/', "
            "without spaces or control characters",
            "s.routes[1].match[1].cookie_regex: '(a' is not an RE2 expression (Envoy's syntax): missing ): (a",
        ]
    ],
    "retries, per-try timeouts and retry conditions": [
        [
            "s.retries.per_try_timeout: '1x' is not a duration of "
            'at least 1ms; allowed: such as "500ms", "2s", "1m30s"',
            "s.retries.attempts: 11 is out of range; allowed: 0 to 10",
            f"s.retries.retry_on: '': {NOT_A_RETRY_CONDITION}",
        ],
        [
            "s.retries.attempts: -1 is out of range; allowed: 0 to 10",
            f"s.retries.retry_on: '': {NOT_A_RETRY_CONDITION}",
        ],
        [f"s.retries.retry_on: ' reset': {NOT_A_RETRY_CONDITION}"],
        [],
        [f"s.retries.retry_on: '\\x01': {NOT_A_RETRY_CONDITION}"],
        ["s.routes[0].retries.attempts: 20 is out of range; allowed: 0 to 10"],
    ],
    "a service timeout": [
        ['s.timeout: \'forever\' is not a duration of at least 1ms; allowed: such as "500ms", "2s", "1m30s"'],
        [],
    ],
    "faults without effect, percents out of range, and partial faults": [
        [
            "s.routes[0].fault: set `delay`, `abort_status` or both",
            "s.routes[1].fault: set `delay`, `abort_status` or both",
            "s.routes[1].fault.delay_percent: 101 is out of range; allowed: 0 to 100",
            "s.routes[1].fault.abort_percent: -1 is out of range; allowed: 0 to 100",
            "s.routes[1].fault.delay_percent: needs `delay`",
            "s.routes[1].fault.abort_percent: needs `abort_status`",
            "s.routes[2].fault.delay: '0s' is not "
            "a duration of at least 1ms; allowed: "
            'such as "500ms", "2s", "1m30s"',
            "s.routes[2].fault.abort_status: 600 is out of range; allowed: 200 to 599",
            "s.routes[3].fault.abort_status: 199 is out of range; allowed: 200 to 599",
        ],
        [],
    ],
    "mirrors to unknown versions and out-of-range percents": [
        [
            "s.routes[0].mirror.version: unknown version 'v3'; allowed: v1, v2",
            "s.routes[0].mirror.percent: 101 is out of range; allowed: 0 to 100",
            "s.routes[1].mirror.percent: -1 is out of range; allowed: 0 to 100",
        ],
        [],
        [],
    ],
    "traffic policies with bad pools and outlier detection": [
        [
            "s.traffic_policy.connection_pool.connect_timeout: "
            "'x' is not a duration of at least 1ms; allowed: "
            'such as "500ms", "2s", "1m30s"',
            "s.traffic_policy.connection_pool.max_connections: 0 is out of range; allowed: 1 to 2147483647",
            "s.traffic_policy.connection_pool.max_requests_per_connection: "
            "2147483648 is out of range; allowed: 1 to "
            "2147483647",
            "s.traffic_policy.outlier_detection.interval: "
            "'0s' is not a duration of at least 1ms; "
            'allowed: such as "500ms", "2s", "1m30s"',
            "s.traffic_policy.outlier_detection.base_ejection_time: "
            "'1' is not a duration of at least 1ms; allowed: "
            'such as "500ms", "2s", "1m30s"',
            "s.traffic_policy.outlier_detection.max_ejection_percent: 101 is out of range; allowed: 0 to 100",
            "s.traffic_policy.outlier_detection.consecutive_5xx_errors: 0 is out of range; allowed: 1 to 2147483647",
        ],
        [],
        [
            "s.traffic_policy.outlier_detection.max_ejection_percent: -1 is out of range; allowed: 0 to 100",
            "s.traffic_policy.outlier_detection.consecutive_5xx_errors: "
            "2147483648 is out of range; allowed: 1 to "
            "2147483647",
        ],
        [],
    ],
    "exposure through a gateway that is not namespace/name and bad hosts": [
        [
            "s.expose.gateway: 'istio-ingress': allowed: <namespace>/<name>",
            "s.expose.hosts[1]: 'Shop.example' "
            "is not a host name: lower-case "
            "DNS labels joined by '.', "
            "optionally starting with '*.'",
        ],
        ["s.expose.gateway: 'a/b/c': allowed: <namespace>/<name>"],
        ["s.expose.gateway: 'Ingress/gw': allowed: <namespace>/<name>"],
        [],
    ],
    "callers with bad namespaces, accounts, paths and methods": [
        [
            "s.allowed_callers[0].namespace: 'Web' is not "
            "a namespace name: 1 to 63 lower-case "
            "letters, digits and '-', starting and ending "
            "with a letter or digit",
            "s.allowed_callers[0].service_account: "
            "'Front_End' is not a ServiceAccount name: 1 "
            "to 63 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit",
            "s.allowed_callers[0].paths[1]: 'api': "
            "allowed: a path starting with '/', without "
            "spaces or control characters",
            "s.allowed_callers[0].methods[1]: 'get' (did "
            "you mean 'GET'?); allowed: GET, HEAD, POST, "
            "PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH "
            "(Istio compares case-sensitively)",
            "s.allowed_callers[0].methods[2]: 'FETCH' "
            "(did you mean 'PATCH'?); allowed: GET, HEAD, "
            "POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, "
            "PATCH (Istio compares case-sensitively)",
        ]
    ],
    "health paths and writable paths": [
        [
            "s.health_path: 'healthz': allowed: a path starting with '/', without spaces or control characters",
            "s.writable_paths[0]: '/': allowed: an absolute path below '/', without '..'",
            "s.writable_paths[1]: '/tmp/../etc': allowed: an absolute path below '/', without '..'",
            "s.writable_paths[2]: 'tmp': allowed: a path starting with '/', without spaces or control characters",
            "s.writable_paths[3]: '/tmp' and 'tmp' both become volume 'writable-tmp'; name distinct paths",
            "s.writable_paths[4]: '/TMP' and '/tmp' both become volume 'writable-tmp'; name distinct paths",
            "s.writable_paths[6]: '/var/cache/' and '/var/cache' both become "
            "volume 'writable-var-cache'; name distinct paths",
        ],
        [],
    ],
    "the run-as user at and beyond its bounds": [
        ["s.run_as_user: 0 is out of range; allowed: 1 to 2147483647"],
        ["s.run_as_user: 2147483648 is out of range; allowed: 1 to 2147483647"],
        [],
        [],
    ],
    "JWTs with bad issuers, key sets and audiences": [
        [
            "s.jwt.issuer: ' https://auth.example': allowed: "
            "non-empty an issuer without control characters or "
            "surrounding spaces",
            "s.jwt.jwks_uri: 'http://auth.example/jwks': allowed: an https:// URL",
            "s.jwt.audiences[1]: '': allowed: non-empty an audience without control characters or surrounding spaces",
        ],
        ["s.jwt.jwks_uri: 'https://': allowed: an https:// URL"],
        ["s.jwt.jwks_uri: 'https://auth.example/a b': allowed: an https:// URL"],
        ["s.jwt.jwks_uri: 'https://auth.example/\\x00': allowed: an https:// URL"],
        [],
    ],
    "JWTs and routes on TCP ports": [
        [
            "s.jwt: end-user JWTs need an HTTP-like port (http, http2, grpc)",
            "s.routes: HTTP routes need an HTTP-like first port (http, http2, grpc), not tcp",
        ],
        ["s.routes: HTTP routes need an HTTP-like first port (http, http2, grpc), not tcp"],
        [],
    ],
    "egress hosts": [
        [
            's.egress_hosts[3]: \'api.example\': allowed: "<namespace>/<host>", "*/<host>" or "<namespace>/*"',
            's.egress_hosts[4]: \'Bad/x.example\': allowed: "<namespace>/<host>", "*/<host>" or "<namespace>/*"',
            's.egress_hosts[5]: \'ns/Bad\': allowed: "<namespace>/<host>", "*/<host>" or "<namespace>/*"',
        ]
    ],
    "autoscaling bounds and the minimum of the replicas": [
        [
            "s.autoscaling.max_replicas: 0 is out of range; allowed: 1 to 1000",
            "s.autoscaling.cpu_utilization: 101 is out of range; allowed: 1 to 100",
            "s.autoscaling.max_replicas: 0 is below the "
            "autoscaler's minimum, 1 (the replicas); allowed: "
            "at least the replicas",
        ],
        [
            "s.autoscaling.max_replicas: 1001 is out of range; allowed: 1 to 1000",
            "s.autoscaling.cpu_utilization: 0 is out of range; allowed: 1 to 100",
        ],
        [
            "s.autoscaling.max_replicas: 2 is below the "
            "autoscaler's minimum, 3 (the replicas); allowed: "
            "at least the replicas"
        ],
        [],
        [],
        [
            "s.autoscaling.max_replicas: 4 is below the "
            "autoscaler's minimum, 5 (the replicas); allowed: "
            "at least the replicas"
        ],
        [],
    ],
    "cluster facts: root namespace, domains, part-of and the injector": [
        [
            "s.root_namespace: 'Istio' is not a "
            "namespace name: 1 to 63 lower-case "
            "letters, digits and '-', starting "
            "and ending with a letter or digit",
            "s.trust_domain: '*.example' is not a DNS name such as 'cluster.local'",
            "s.cluster_domain: 'cluster..local' is not a DNS name such as 'cluster.local'",
            "s.part_of: '-shop' is not a label "
            "value: at most 63 of a-z, A-Z, 0-9, "
            "'-', '_', '.', alphanumeric at both "
            "ends",
            "s.injected_by: must not be empty; leave it out instead",
        ],
        [],
        [
            "s.part_of: "
            "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
            "is not a label value: at most 63 of "
            "a-z, A-Z, 0-9, '-', '_', '.', "
            "alphanumeric at both ends"
        ],
        [],
    ],
}


@pytest.mark.parametrize("case", CORPUS)
def test_each_service_argument_is_reported_with_its_message_at_its_key_path(case):
    assert [[str(p) for p in mesh_service_problems(s, "s")] for s in CORPUS[case]] == EXPECTED[case]


def test_the_component_name_is_checked_as_the_service_name_when_service_name_is_not_set():
    assert [str(p) for p in mesh_service_problems(BASE, "s", "Review")] == [
        "s (the component's name): 'Review' is not a Service name: 1 to 63 lower-case letters, digits and '-', "
        "starting with a letter and ending with a letter or digit"
    ]
    assert mesh_service_problems(svc(service_name="review"), "s", "Review") == []
    assert mesh_service_problems(BASE, "s", "review") == []


def test_a_shape_problem_stops_before_the_checks_of_meaning():
    assert [str(p) for p in mesh_service_problems(svc(namespace="Shop", replicas="2"), "s")] == [
        "s.replicas: expected a whole number, got '2'"
    ]


def test_a_proxy_without_a_log_level_keeps_the_default_one():
    assert mesh_service_problems(svc(proxy={"cpu_request": "100m"}), "s") == []


def test_autoscaling_without_versions_reports_only_the_missing_versions():
    assert [str(p) for p in mesh_service_problems(svc(versions=[], autoscaling={"max_replicas": 1}), "s")] == [
        "s.versions: needs at least one version"
    ]


def test_every_problem_of_one_match_is_kept():
    match = {"headers": {"X-R": {"regex": "(?=a)"}}, "uri_prefix": "api"}
    assert [str(p) for p in mesh_service_problems(svc(routes=[{"match": [match]}]), "s")] == [
        "s.routes[0].match[0].headers.X-R: 'X-R' is not a lower-case HTTP header name",
        "s.routes[0].match[0].headers.X-R.regex: '(?=a)' is not an RE2 expression (Envoy's syntax): "
        "invalid perl operator: (?=",
        "s.routes[0].match[0].uri_prefix: 'api': allowed: a path starting with '/', without spaces or control "
        "characters",
    ]


def test_every_problem_of_one_route_is_kept():
    route = {
        "name": "Bad",
        "match": [{"uri_prefix": "/a"}],
        "retries": {"attempts": 11},
        "fault": {"abort_status": 600},
        "mirror": {"version": "v9"},
    }
    assert [str(p) for p in mesh_service_problems(svc(routes=[route]), "s")] == [
        "s.routes[0].name: 'Bad' is not a route name: 1 to 63 lower-case letters, digits and '-', starting and "
        "ending with a letter or digit",
        "s.routes[0].retries.attempts: 11 is out of range; allowed: 0 to 10",
        "s.routes[0].fault.abort_status: 600 is out of range; allowed: 200 to 599",
        "s.routes[0].mirror.version: unknown version 'v9'; allowed: v1",
    ]


def test_a_fault_with_only_a_delay_or_only_an_abort_is_complete():
    assert mesh_service_problems(svc(routes=[{"fault": {"delay": "1s"}}]), "s") == []
    assert mesh_service_problems(svc(routes=[{"fault": {"abort_status": 503}}]), "s") == []


def test_a_bad_component_name_is_reported_beside_a_bad_namespace():
    assert [p.path for p in mesh_service_problems(svc(namespace="Shop"), "s", "Review")] == [
        "s.namespace",
        "s (the component's name)",
    ]


def test_every_problem_of_a_service_is_kept_in_the_order_of_its_keys():
    service = svc(
        namespace="Shop",
        retries={"attempts": 11},
        traffic_policy={"connection_pool": {"max_connections": 0}},
        expose={"gateway": "x"},
        allowed_callers=[{"namespace": "Web", "service_account": "a"}],
        run_as_user=0,
        jwt={"issuer": " x", "jwks_uri": "https://a/j"},
    )
    assert [p.path for p in mesh_service_problems(service, "s")] == [
        "s.namespace",
        "s.retries.attempts",
        "s.traffic_policy.connection_pool.max_connections",
        "s.expose.gateway",
        "s.allowed_callers[0].namespace",
        "s.run_as_user",
        "s.jwt.issuer",
    ]


def test_an_autoscaling_problem_is_reported_beside_the_others():
    service = svc(namespace="Shop", autoscaling={"max_replicas": 1001})
    assert [p.path for p in mesh_service_problems(service, "s")] == ["s.namespace", "s.autoscaling.max_replicas"]


def test_a_version_s_service_name_derives_from_the_service_name_not_the_component_name():
    from conftest import service_args

    from istio_mesh import ArgsError
    from istio_mesh.service_spec import mesh_service_spec

    long = "a" * 62  # "<service_name>-v1" is 65 characters: too long for a Service
    with pytest.raises(ArgsError, match=r"args\.versions\[0\]\.name"):
        mesh_service_spec("r", service_args(traffic_api="gateway-api", service_name=long))


def test_what_ambient_pods_cannot_have_is_refused_with_the_reason():
    from conftest import service_args

    from istio_mesh import ArgsError
    from istio_mesh.service_spec import mesh_service_spec

    with pytest.raises(ArgsError) as err:
        mesh_service_spec(
            "r",
            service_args(
                data_plane="ambient", proxy={"cpu_request": "50m"}, egress_hosts=["shop/a.shop.svc.cluster.local"]
            ),
        )
    messages = {p.path: p.message for p in err.value.problems}
    assert messages["args.proxy"] == "ambient pods have no sidecar to size or configure; drop `proxy`"
    assert messages["args.egress_hosts"].startswith("a Sidecar resource has no effect in ambient (Istio's IST0167)")

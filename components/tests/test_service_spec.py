"""MeshService's manifests, built as pure data."""

import json
from enum import Enum

import pytest
from conftest import service_args

from istio_mesh.args import LoadBalancer, Protocol
from istio_mesh.service_spec import mesh_service_spec
from istio_mesh.validation import ArgsError


def objects(spec, kind):
    return [m for m in [*spec.workloads, *spec.istio] if m["kind"] == kind]


def one(spec, kind):
    (found,) = objects(spec, kind)
    return found


def two_versions(**overrides):
    return service_args(
        versions=[{"name": "v1", "image": "r/review:1"}, {"name": "v2", "image": "r/review:2", "replicas": 3}],
        **overrides,
    )


def test_each_version_gets_its_own_deployment_labelled_app_and_version():
    spec = mesh_service_spec("review", two_versions())
    deployments = {d["metadata"]["name"]: d for d in objects(spec, "Deployment")}
    assert set(deployments) == {"review-v1", "review-v2"}
    v2 = deployments["review-v2"]["spec"]
    assert v2["selector"]["matchLabels"] == {"app": "review", "version": "v2"}
    assert v2["template"]["metadata"]["labels"]["version"] == "v2"
    assert v2["replicas"] == 3
    assert v2["template"]["spec"]["containers"][0]["image"] == "r/review:2"


def test_pods_are_selected_for_injection_and_the_proxy_is_tuned_by_annotations_only():
    spec = mesh_service_spec("review", service_args(proxy={"cpu_limit": "1", "log_level": "debug"}))
    pod = one(spec, "Deployment")["spec"]["template"]
    assert pod["metadata"]["labels"]["sidecar.istio.io/inject"] == "true"
    notes = pod["metadata"]["annotations"]
    assert notes["sidecar.istio.io/proxyCPULimit"] == "1"
    assert notes["sidecar.istio.io/logLevel"] == "debug"
    assert json.loads(notes["proxy.istio.io/config"]) == {"holdApplicationUntilProxyStarts": True}
    assert [c["name"] for c in pod["spec"]["containers"]] == ["review"]


def test_the_pod_meets_the_restricted_pod_security_standard():
    pod = one(mesh_service_spec("review", service_args()), "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = pod["containers"][0]["securityContext"]
    assert ctx == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "review"


def test_writable_paths_become_empty_dirs_on_the_read_only_filesystem():
    pod = one(mesh_service_spec("review", service_args(writable_paths=["/tmp", "/var/cache/app"])), "Deployment")
    pod_spec = pod["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in pod_spec["containers"][0]["volumeMounts"]}
    assert set(mounts) == {"/tmp", "/var/cache/app"}
    assert {v["name"] for v in pod_spec["volumes"]} == set(mounts.values())


def test_every_container_has_requests_limits_and_three_probes():
    container = one(mesh_service_spec("review", service_args(health_path="/healthz")), "Deployment")["spec"][
        "template"
    ]["spec"]["containers"][0]
    assert set(container["resources"]) == {"requests", "limits"}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": 9080}


def test_one_service_spans_every_version_with_protocol_named_ports():
    svc = one(
        mesh_service_spec(
            "review", two_versions(ports=[{"port": 9080}, {"port": 9090, "protocol": "grpc", "name": "api"}])
        ),
        "Service",
    )
    assert svc["metadata"]["name"] == "review"
    assert svc["spec"]["selector"] == {"app": "review"}
    assert [(p["name"], p["appProtocol"]) for p in svc["spec"]["ports"]] == [("http", "http"), ("grpc-api", "grpc")]


def test_the_destination_rule_has_a_subset_per_version_and_policies_per_service_and_subset():
    args = two_versions(
        traffic_policy={"load_balancer": "LEAST_REQUEST", "outlier_detection": {"consecutive_5xx_errors": 3}}
    )
    args["versions"][1]["traffic_policy"] = {"connection_pool": {"max_connections": 10, "http2_max_requests": 5}}
    dr = one(mesh_service_spec("review", args), "DestinationRule")["spec"]
    assert dr["host"] == "review.shop.svc.cluster.local"
    assert dr["trafficPolicy"]["loadBalancer"] == {"simple": "LEAST_REQUEST"}
    assert dr["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 3
    assert dr["trafficPolicy"]["outlierDetection"]["maxEjectionPercent"] == 50
    assert [s["name"] for s in dr["subsets"]] == ["v1", "v2"]
    assert dr["subsets"][1]["trafficPolicy"]["connectionPool"] == {
        "tcp": {"maxConnections": 10},
        "http": {"http2MaxRequests": 5},
    }
    assert "trafficPolicy" not in dr["subsets"][0]


def test_removing_a_version_removes_its_deployment_and_subset():
    spec = mesh_service_spec("review", service_args())
    assert [d["metadata"]["name"] for d in objects(spec, "Deployment")] == ["review-v1"]
    assert [s["name"] for s in one(spec, "DestinationRule")["spec"]["subsets"]] == ["v1"]


def test_without_routes_the_virtual_service_routes_to_the_service_with_retries_and_timeout():
    vs = one(mesh_service_spec("review", service_args(timeout="3s", retries={"attempts": 4})), "VirtualService")["spec"]
    assert vs["hosts"] == ["review.shop.svc.cluster.local"]
    (route,) = vs["http"]
    assert route["route"] == [{"destination": {"host": "review.shop.svc.cluster.local", "port": {"number": 9080}}}]
    assert route["timeout"] == "3s"
    assert route["retries"]["attempts"] == 4 and route["retries"]["perTryTimeout"] == "2s"


def test_a_weighted_split_becomes_weighted_subset_destinations():
    args = two_versions(routes=[{"destinations": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10}]}])
    route = one(mesh_service_spec("review", args), "VirtualService")["spec"]["http"][0]
    assert [(r["destination"]["subset"], r["weight"]) for r in route["route"]] == [("v1", 90), ("v2", 10)]


def test_matches_on_headers_uri_prefix_and_cookie_become_istio_matches():
    match = {
        "headers": {"end-user": {"exact": "jason"}},
        "uri_prefix": "/api",
        "cookie_regex": "^(.*?;)?(user=jason)(;.*)?$",
    }
    args = two_versions(
        routes=[{"match": [match], "destinations": [{"version": "v2"}]}, {"destinations": [{"version": "v1"}]}]
    )
    http = one(mesh_service_spec("review", args), "VirtualService")["spec"]["http"]
    assert http[0]["match"] == [
        {
            "headers": {"end-user": {"exact": "jason"}, "cookie": {"regex": "^(.*?;)?(user=jason)(;.*)?$"}},
            "uri": {"prefix": "/api"},
        }
    ]
    assert "match" not in http[1]


def test_fault_injection_and_mirroring_are_rendered_with_percentages():
    args = two_versions(
        routes=[
            {
                "fault": {"delay": "2s", "delay_percent": 10, "abort_status": 503},
                "mirror": {"version": "v2", "percent": 20},
            }
        ]
    )
    route = one(mesh_service_spec("review", args), "VirtualService")["spec"]["http"][0]
    assert route["fault"] == {
        "delay": {"fixedDelay": "2s", "percentage": {"value": 10.0}},
        "abort": {"httpStatus": 503, "percentage": {"value": 100.0}},
    }
    assert route["mirror"]["subset"] == "v2"
    assert route["mirrorPercentage"] == {"value": 20.0}


def test_an_exposed_service_is_bound_to_its_gateway_and_to_the_mesh():
    vs = one(
        mesh_service_spec(
            "product", service_args(expose={"gateway": "istio-ingress/istio-ingress", "hosts": ["shop.example.com"]})
        ),
        "VirtualService",
    )
    assert vs["spec"]["gateways"] == ["mesh", "istio-ingress/istio-ingress"]
    assert vs["spec"]["hosts"] == ["product.shop.svc.cluster.local", "shop.example.com"]


def test_a_tcp_service_gets_a_tcp_route():
    vs = one(mesh_service_spec("db", service_args(ports=[{"port": 5432, "protocol": "tcp"}])), "VirtualService")["spec"]
    assert "http" not in vs and vs["tcp"][0]["route"][0]["destination"]["port"] == {"number": 5432}


def test_allowed_callers_become_one_allow_policy_with_principals_and_operations():
    callers = [
        {"namespace": "shop", "service_account": "product", "methods": ["GET"]},
        {"namespace": "ops", "service_account": "probe"},
    ]
    policy = one(mesh_service_spec("review", service_args(allowed_callers=callers)), "AuthorizationPolicy")["spec"]
    assert policy["action"] == "ALLOW" and policy["selector"] == {"matchLabels": {"app": "review"}}
    assert policy["rules"] == [
        {"from": [{"source": {"principals": ["cluster.local/ns/ops/sa/probe"]}}]},
        {
            "from": [{"source": {"principals": ["cluster.local/ns/shop/sa/product"]}}],
            "to": [{"operation": {"methods": ["GET"]}}],
        },
    ]


def test_egress_hosts_become_a_sidecar_that_also_reaches_istio_system():
    sidecar = one(
        mesh_service_spec("product", service_args(egress_hosts=["shop/review.shop.svc.cluster.local"])), "Sidecar"
    )["spec"]
    assert sidecar["egress"] == [{"hosts": ["istio-system/*", "shop/review.shop.svc.cluster.local"]}]
    assert sidecar["workloadSelector"] == {"labels": {"app": "product"}}


def test_several_replicas_bring_a_disruption_budget_and_one_does_not():
    assert objects(mesh_service_spec("review", service_args()), "PodDisruptionBudget") == []
    (pdb,) = objects(mesh_service_spec("review", service_args(replicas=2)), "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == {"app": "review", "version": "v1"}


def test_autoscaling_adds_an_autoscaler_and_leaves_replicas_to_it():
    spec = mesh_service_spec("review", service_args(replicas=2, autoscaling={"max_replicas": 8}))
    hpa = one(spec, "HorizontalPodAutoscaler")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 8)
    assert hpa["scaleTargetRef"]["name"] == "review-v1"
    assert "replicas" not in one(spec, "Deployment")["spec"]


def test_pods_spread_across_nodes():
    pod = one(mesh_service_spec("review", service_args()), "Deployment")["spec"]["template"]["spec"]
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"


def test_bad_args_raise_before_anything_is_built():
    with pytest.raises(ArgsError, match=r"args.versions\[0\].name"):
        mesh_service_spec("review", service_args(versions=[{"name": "V 1", "image": "x"}]))


def test_a_jwt_adds_request_authentication_and_a_deny_for_requests_without_a_token():
    args = service_args(
        jwt={"issuer": "https://auth.example.com", "jwks_uri": "https://auth.example.com/jwks", "audiences": ["shop"]}
    )
    spec = mesh_service_spec("product", args)
    ra = one(spec, "RequestAuthentication")["spec"]
    assert ra["jwtRules"] == [
        {"issuer": "https://auth.example.com", "jwksUri": "https://auth.example.com/jwks", "audiences": ["shop"]}
    ]
    (deny,) = [p for p in objects(spec, "AuthorizationPolicy") if p["spec"]["action"] == "DENY"]
    # Scoped to the HTTP ports, as Istio's analyzer asks (IST0133): a DENY on HTTP
    # attributes would deny every connection to a TCP port.
    assert deny["spec"]["rules"] == [
        {"from": [{"source": {"notRequestPrincipals": ["*"]}}], "to": [{"operation": {"ports": ["9080"]}}]}
    ]
    assert deny["metadata"]["name"] == "product-require-jwt"


def test_a_jwt_needs_an_https_key_set():
    with pytest.raises(ArgsError, match=r"args.jwt.jwks_uri"):
        mesh_service_spec("product", service_args(jwt={"issuer": "x", "jwks_uri": "http://insecure"}))


def test_the_read_only_root_filesystem_can_be_turned_off_per_service():
    container = one(mesh_service_spec("legacy", service_args(read_only_root_filesystem=False)), "Deployment")["spec"][
        "template"
    ]["spec"]["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is False


def test_a_wildcard_gateway_host_gets_a_gateway_only_virtual_service_beside_the_mesh_one():
    spec = mesh_service_spec("product", service_args(expose={"gateway": "istio-ingress/istio-ingress"}))
    mesh_vs, ingress_vs = objects(spec, "VirtualService")
    assert mesh_vs["spec"]["hosts"] == ["product.shop.svc.cluster.local"] and "gateways" not in mesh_vs["spec"]
    assert ingress_vs["metadata"]["name"] == "product-ingress"
    assert ingress_vs["spec"]["hosts"] == ["*"] and ingress_vs["spec"]["gateways"] == ["istio-ingress/istio-ingress"]
    assert ingress_vs["spec"]["http"] == mesh_vs["spec"]["http"]


def test_spreading_and_disruption_budgets_can_be_turned_off_per_service():
    spec = mesh_service_spec("batch", service_args(replicas=3, spread_across_nodes=False, disruption_budget=False))
    assert objects(spec, "PodDisruptionBudget") == []
    assert "topologySpreadConstraints" not in one(spec, "Deployment")["spec"]["template"]["spec"]


def test_enum_members_and_their_values_give_the_same_objects():
    as_text = service_args(
        ports=[{"port": 9080, "protocol": "grpc"}], traffic_policy={"load_balancer": "LEAST_REQUEST"}
    )
    as_enums = service_args(
        ports=[{"port": 9080, "protocol": Protocol.GRPC}],
        traffic_policy={"load_balancer": LoadBalancer.LEAST_REQUEST},
    )
    built = mesh_service_spec("review", as_enums)
    assert built == mesh_service_spec("review", as_text)
    assert not [v for v in _leaves([*built.workloads, *built.istio]) if isinstance(v, Enum)]


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_the_cluster_facts_come_from_the_arguments_root_namespace_trust_and_cluster_domain():
    spec = mesh_service_spec(
        "review",
        service_args(
            egress_hosts=["shop/product.shop.svc.k8s.corp"],
            allowed_callers=[{"namespace": "shop", "service_account": "product"}],
            root_namespace="mesh-system",
            trust_domain="corp.example",
            cluster_domain="k8s.corp",
        ),
    )
    assert one(spec, "Sidecar")["spec"]["egress"] == [{"hosts": ["mesh-system/*", "shop/product.shop.svc.k8s.corp"]}]
    principals = one(spec, "AuthorizationPolicy")["spec"]["rules"][0]["from"][0]["source"]["principals"]
    assert principals == ["corp.example/ns/shop/sa/product"]
    assert spec.host == "review.shop.svc.k8s.corp"
    assert one(spec, "DestinationRule")["spec"]["host"] == "review.shop.svc.k8s.corp"


def test_the_part_of_label_is_an_argument_and_absent_by_default():
    plain_spec = mesh_service_spec("review", service_args())
    assert all("app.kubernetes.io/part-of" not in m["metadata"]["labels"] for m in plain_spec.workloads)
    labelled = mesh_service_spec("review", service_args(part_of="shop"))
    assert {m["metadata"]["labels"]["app.kubernetes.io/part-of"] for m in labelled.workloads} == {"shop"}


def test_injected_by_becomes_a_pod_template_annotation_only_when_given():
    template = one(mesh_service_spec("review", service_args(injected_by="1-30-5/1.30.5")), "Deployment")["spec"][
        "template"
    ]
    assert template["metadata"]["annotations"]["istio-mesh/injected-by"] == "1-30-5/1.30.5"
    bare = one(mesh_service_spec("review", service_args()), "Deployment")["spec"]["template"]
    assert "istio-mesh/injected-by" not in bare["metadata"]["annotations"]


def test_bad_cluster_facts_are_refused_at_their_keys():
    with pytest.raises(ArgsError) as err:
        mesh_service_spec(
            "review",
            service_args(root_namespace="Mesh", trust_domain="bad domain", part_of="-x", injected_by=" "),
        )
    assert {p.path for p in err.value.problems} == {
        "args.root_namespace",
        "args.trust_domain",
        "args.part_of",
        "args.injected_by",
    }

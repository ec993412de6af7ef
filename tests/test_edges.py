"""Careless and hostile stack configs, run as `pulumi up` runs them: refused at their key
paths with nothing registered, or accepted and valid for the API server and Istio."""

import json
import re
from typing import Any

import pulumi
import pytest

from istio_mesh import ArgsError, MeshNamespace, MeshService
from mesh.analysis.schemas import kubernetes_errors
from mesh.offline import OfflineRun, run, stack_config
from mesh.program import main
from tests.conftest import run_program, service_args

P = "service-mesh"


def dev(**changes: Any) -> dict[str, str]:
    """The dev stack's config as the CLI passes it, with top-level keys replaced."""
    config = stack_config("dev")
    for key, value in changes.items():
        config[f"{P}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return config


def dev_services() -> list[dict[str, Any]]:
    services: list[dict[str, Any]] = json.loads(stack_config("dev")[f"{P}:services"])
    return services


def up(config: dict[str, str]) -> tuple[str, OfflineRun | None]:
    """Run the Pulumi entry point; (the error it stops with, or "", the run when it did not stop)."""
    recorded: list[OfflineRun] = []

    def program() -> dict[str, Any]:
        main()
        return {}

    try:
        recorded.append(run(program, config, "dev"))
    except pulumi.RunError as err:
        return str(err), None
    return "", recorded[0]


def refused(config: dict[str, str], *paths: str) -> str:
    """The run stops before anything registers, naming each key path."""
    message, result = up(config)
    assert result is None, "the config was accepted"
    assert "Traceback" not in message
    for path in paths:
        assert f"  - {path}: " in message, f"{path} not in:\n{message}"
    return message


def registered_nothing(config: dict[str, str]) -> None:
    """Bad config registers nothing: the program raises before the first registration."""
    seen: list[Any] = []
    original = pulumi.CustomResource.__init__

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(args)
        original(self, *args, **kwargs)

    pulumi.CustomResource.__init__ = spy  # type: ignore[method-assign]
    try:
        up(config)
    finally:
        pulumi.CustomResource.__init__ = original  # type: ignore[method-assign]
    assert seen == []


# -- reserved namespaces -------------------------------------------------------


@pytest.mark.parametrize(
    "namespace", ["kube-system", "kube-public", "kube-node-lease", "default", "istio-system", "istio-ingress"]
)
def test_a_reserved_or_control_plane_namespace_is_refused_as_the_app_namespace(namespace):
    message = refused(dev(namespace=namespace), f"{P}:namespace")
    assert "belongs to" in message
    registered_nothing(dev(namespace=namespace))


def test_a_service_in_a_reserved_namespace_is_refused_at_its_own_key():
    services = dev_services()
    services[2]["namespace"] = "kube-system"
    refused(dev(services=services), f"{P}:services[2].namespace")


def test_the_default_namespace_is_allowed_only_when_asked_for():
    refused(dev(namespace="default"), f"{P}:namespace")
    message, result = up(dev(namespace="default", allow_default_namespace=True))
    assert message == "" and result is not None and result.find("Namespace", "default")


def test_a_custom_control_plane_namespace_is_reserved_too_and_the_cluster_s_are_refused_to_it():
    refused(dev(namespace="mesh-root", istio={"namespace": "mesh-root", "gateway": {}}), f"{P}:namespace")
    refused(dev(istio={"namespace": "kube-system"}), f"{P}:istio.namespace")
    refused(dev(istio={"gateway": {"namespace": "kube-public"}}), f"{P}:istio.gateway.namespace")


def test_components_used_directly_refuse_the_cluster_s_namespaces():
    with pytest.raises(ArgsError, match=r"args \(the component's name\): 'kube-system' belongs to the cluster"):
        run_program(lambda: MeshNamespace("kube-system", {}) and None)
    with pytest.raises(ArgsError, match=r"args.namespace: 'kube-public' belongs to the cluster"):
        run_program(lambda: MeshService("review", service_args(namespace="kube-public")) and None)


# -- derived names that collide ------------------------------------------------


def with_service(name: str, **extra: Any) -> dict[str, str]:
    services = dev_services()
    services.append({"name": name, "ports": [{"port": 80}], "versions": [{"name": "v1", "image": "a/b:1"}], **extra})
    return dev(services=services)


@pytest.mark.parametrize(
    ("name", "owner"),
    [
        ("product-ingress", f"{P}:services[0].name"),  # product's gateway VirtualService
        ("allow-nothing", f"{P}:namespace"),  # the namespace's default-deny policy
    ],
)
def test_a_service_whose_objects_collide_with_derived_ones_names_both_owners(name, owner):
    message = refused(with_service(name), f"{P}:services[3].name", owner)
    assert "derives" in message


def test_a_service_version_and_another_service_that_derive_one_deployment_name_both_owners():
    services = dev_services()
    services[1]["versions"].append({"name": "canary-v1", "image": "a/b:2"})
    services.append({"name": "review-canary", "ports": [{"port": 80}], "versions": [{"name": "v1", "image": "a/b:1"}]})
    message = refused(dev(services=services), f"{P}:services[1].versions[1].name", f"{P}:services[3].versions[0].name")
    assert "Deployment shop-dev/review-canary-v1" in message


def test_a_collision_that_would_drop_the_jwt_requirement_is_refused():
    prod = stack_config("prod")
    services = json.loads(prod[f"{P}:services"])
    services.append(
        {"name": "product-require-jwt", "ports": [{"port": 80}], "versions": [{"name": "v1", "image": "a/b:1"}]}
    )
    prod[f"{P}:services"] = json.dumps(services)
    message = refused(prod, f"{P}:services[3].name", f"{P}:services[0].name")
    assert "AuthorizationPolicy shop/product-require-jwt" in message


def test_the_same_pulumi_name_in_two_namespaces_is_a_urn_collision():
    services = dev_services()
    services[1]["versions"].append({"name": "canary-v1", "image": "a/b:2"})
    services.append(
        {
            "name": "review-canary",
            "namespace": "other",
            "ports": [{"port": 80}],
            "versions": [{"name": "v1", "image": "a/b:1"}],
        }
    )
    message = refused(dev(services=services), f"{P}:services[3].versions[0].name")
    assert "Pulumi resource kubernetes:apps/v1:Deployment 'review-canary-v1'" in message


def test_external_hosts_whose_names_collide_are_refused_at_both_hosts():
    message = refused(
        dev(external_hosts=[{"host": "a.b-c.example.com"}, {"host": "a-b.c.example.com"}]),
        f"{P}:external_hosts[0].host",
        f"{P}:external_hosts[1].host",
    )
    assert "ServiceEntry" in message


# -- whole-value grammars --------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("versions", 0, "name"), "v1\n"),
        (("versions", 0, "image"), "ghcr.io/acme/product:1\n"),
        (("versions", 0, "image"), "ghcr.io/Acme/product:1"),
        (("versions", 0, "image"), "ghcr.io/acmé/product:1"),
        (("versions", 0, "image"), "ghcr.io/acme/product:"),
        (("versions", 0, "image"), "ghcr.io//product"),
        (("versions", 0, "image"), "Acme/product:1"),
        (("resources", "cpu_request"), "100m\n"),
        (("resources", "cpu_request"), "-1"),
        (("timeout",), "2s\n"),
        (("timeout",), "0s"),
        (("health_path",), "/health\n"),
    ],
)
def test_a_value_is_matched_whole_and_by_the_real_grammar(where, value):
    services = dev_services()
    target: Any = services[0]
    for key in where[:-1]:
        target = target.setdefault(key, {}) if isinstance(key, str) else target[key]
    target[where[-1]] = value
    path = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in where)
    refused(dev(services=services), f"{P}:services[0]{path}")


@pytest.mark.parametrize("value", ["apps\n", "Apps", " apps", "äpps", "a" * 64])
def test_a_namespace_is_an_rfc_1123_label_matched_whole(value):
    refused(dev(namespace=value), f"{P}:namespace")


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "ghcr.io/acme/review:2.1.0",
        "localhost:5000/a/b_c__d:tag-1.0",
        "registry.example.com:443/a/b@sha256:" + "a" * 64,
        "ghcr.io/acme/review:2.1.0@sha256:" + "0" * 64,
        "[::1]:5000/app:v1",
    ],
)
def test_every_form_of_an_image_reference_is_accepted(image):
    services = dev_services()
    services[0]["versions"][0]["image"] = image
    message, result = up(dev(services=services))
    assert message == "" and result is not None


def test_a_service_name_starting_with_a_digit_is_reported_at_its_name_only():
    services = dev_services()
    services[1]["name"] = "9review"
    services[0]["calls"] = [{"service": "9review", "methods": ["GET"]}]
    message = refused(dev(services=services), f"{P}:services[1].name")
    assert "Service name" in message and "env" not in message


def test_an_autoscaler_below_its_replicas_and_a_request_above_its_limit_are_refused():
    services = dev_services()
    services[0]["replicas"] = 5
    services[0]["autoscaling"] = {"max_replicas": 3}
    services[1]["resources"] = {"cpu_request": "2"}  # the default limit is 500m
    services[2]["proxy"] = {"memory_request": "1Gi", "memory_limit": "512Mi"}
    message = refused(
        dev(services=services),
        f"{P}:services[0].autoscaling.max_replicas",
        f"{P}:services[1].resources.cpu_request",
        f"{P}:services[2].proxy.memory_request",
    )
    assert "request 2 is above limit 500m (the default)" in message


def test_two_writable_paths_that_become_one_volume_are_refused():
    services = dev_services()
    services[0]["writable_paths"] = ["/var/tmp", "/var-tmp", "/a/../b"]
    refused(dev(services=services), f"{P}:services[0].writable_paths[1]", f"{P}:services[0].writable_paths[2]")


@pytest.mark.parametrize("regex", ["(a", "(?=jason)", r"(a)\1", "a{1001}"])
def test_a_regex_envoy_cannot_compile_is_refused(regex):
    services = dev_services()
    services[1]["routes"] = [
        {"match": [{"headers": {"end-user": {"regex": regex}}}], "destinations": [{"version": "v1"}]},
        {},
    ]
    services[2]["routes"] = [{"match": [{"cookie_regex": regex}]}, {}]
    refused(
        dev(services=services),
        f"{P}:services[1].routes[0].match[0].headers.end-user.regex",
        f"{P}:services[2].routes[0].match[0].cookie_regex",
    )


def test_an_object_the_api_server_would_not_store_is_refused_at_its_owner():
    services = dev_services()
    services[2]["env"] = {"BLOB": "x" * 1_600_000}
    message = refused(dev(services=services), f"{P}:services[2].versions[0].name")
    assert "MiB" in message


def test_methods_istio_would_never_match_are_refused():
    services = dev_services()
    services[0]["calls"] = [{"service": "review", "methods": ["get"]}]
    message = refused(dev(services=services), f"{P}:services[0].calls[0].methods[0]")
    assert "did you mean 'GET'" in message


def test_a_wildcard_external_host_gives_a_valid_service_entry():
    services = dev_services()
    services[0]["egress"] = ["*.payments.example.com"]
    message, result = up(dev(services=services, external_hosts=[{"host": "*.payments.example.com"}]))
    assert message == "" and result is not None
    (entry,) = result.find("ServiceEntry")
    assert entry.inputs["metadata"]["name"] == "external-wildcard-payments-example-com"
    assert entry.inputs["spec"]["resolution"] == "NONE"
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", entry.inputs["metadata"]["name"])


def test_a_bad_external_host_is_reported_at_the_stack_key_not_inside_a_component():
    message = refused(dev(external_hosts=[{"host": "bad host"}]), f"{P}:external_hosts[0].host")
    assert "args." not in message


# -- every problem at once ----------------------------------------------------------


def test_problems_of_every_family_are_reported_together():
    services = dev_services()
    services[0]["versions"][0]["image"] = "UPPER/case"
    services[1]["name"] = "1review"
    services[2]["timeout"] = "fast"
    message = refused(
        dev(services=services, namespace="kube-system", external_hosts=[{"host": "-x"}]),
        f"{P}:namespace",
        f"{P}:services[0].versions[0].image",
        f"{P}:services[1].name",
        f"{P}:services[2].timeout",
        f"{P}:external_hosts[0].host",
        f"{P}:services[0].calls[0].service",  # it still calls "review"
    )
    assert message.startswith("6 problems"), message


def test_accepted_objects_pass_the_strict_kubernetes_schemas():
    message, result = up(dev(namespace="team-a"))
    assert message == "" and result is not None
    for res in result.custom():
        if res.type != "kubernetes:helm.sh/v3:Release" and "istio.io" not in res.inputs["apiVersion"]:
            assert kubernetes_errors(res.inputs) == [], res.name


def test_an_entry_service_on_a_tcp_port_is_refused_at_its_entry_key():
    services = dev_services()
    services[0]["ports"] = [{"port": 5432, "protocol": "tcp"}]
    refused(dev(services=services), f"{P}:services[0].entry")

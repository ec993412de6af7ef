"""Outputs as inputs and secrets end to end, proven on the registrations as Pulumi serializes
them for the engine (secrets still wrapped), for the component and for the whole program."""

import json
import os
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from istio_mesh import ArgsError, MeshService
from mesh.cli import main as cli_main
from mesh.offline import PROJECT_DIR, OfflineRun, run, run_stack
from mesh.program import main
from mesh.stackfile import stack_config
from tests.conftest import run_program, service_args

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
DIGEST = "registry.example/review@sha256:" + "a" * 64


def plaintext_outside_secrets(value: Any, needle: str, path: str = "") -> list[str]:
    """Where ``needle`` occurs in a serialized registration other than inside a secret wrapper."""
    if isinstance(value, dict):
        if SECRET_SIG in value.values():
            return []
        return [p for k, v in value.items() for p in plaintext_outside_secrets(v, needle, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in plaintext_outside_secrets(v, needle, f"{path}[{i}]")]
    return [path] if isinstance(value, str) and needle in value else []


def wrapped_secrets(value: Any) -> list[Any]:
    """The values of every secret wrapper in a serialized registration."""
    if isinstance(value, dict):
        if SECRET_SIG in value.values():
            return [value.get("value")]
        return [s for v in value.values() for s in wrapped_secrets(v)]
    if isinstance(value, list):
        return [s for v in value for s in wrapped_secrets(v)]
    return []


def wire_of(result: OfflineRun, kind: str, name: str) -> dict[str, Any]:
    (res,) = result.find(kind, name)
    return result.wire[res.urn]


def test_an_output_image_and_a_secret_env_value_register_with_the_secret_wrapped_in_every_child():
    def program() -> None:
        MeshService(
            "review",
            service_args(
                versions=[{"name": "v1", "image": pulumi.Output.from_input(DIGEST)}],
                env={"API_KEY": pulumi.Output.secret("s3cr3t-value"), "LOG": "debug"},
                secret_env={"TOKEN": "t0ken-value"},
            ),
        )

    result = run_program(program)
    (deployment,) = result.find("Deployment", "review-v1")
    container = deployment.inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == DIGEST
    assert container["env"] == [
        {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "review-env-autoname", "key": "API_KEY"}}},
        {"name": "LOG", "value": "debug"},
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "review-env-autoname", "key": "TOKEN"}}},
    ]
    secret_wire = wire_of(result, "Secret", "review-env-autoname")
    assert wrapped_secrets(secret_wire) == [{"API_KEY": "s3cr3t-value", "TOKEN": "t0ken-value"}]
    for urn, wire in result.wire.items():
        for needle in ("s3cr3t-value", "t0ken-value"):
            assert plaintext_outside_secrets(wire, needle) == [], urn
    # What render and check see: a placeholder.
    (secret,) = result.find("Secret", "review-env-autoname")
    assert secret.inputs["stringData"] == {"API_KEY": "[secret]", "TOKEN": "[secret]"}


def test_a_version_s_own_secret_gets_its_own_key():
    result = run_program(
        lambda: (
            MeshService(
                "review",
                service_args(
                    versions=[
                        {"name": "v1", "image": "a/b:1", "secret_env": {"KEY": "one"}},
                        {"name": "v2", "image": "a/b:2"},
                    ],
                    secret_env={"KEY": "all"},
                ),
            )
            and None
        )
    )
    env = {d.name: d.inputs["spec"]["template"]["spec"]["containers"][0]["env"] for d in result.find("Deployment")}
    assert env["review-v1"][0]["valueFrom"]["secretKeyRef"]["key"] == "v1.KEY"
    assert env["review-v2"][0]["valueFrom"]["secretKeyRef"]["key"] == "KEY"
    (secret,) = result.find("Secret")
    assert secret.inputs["stringData"] == {"KEY": "[secret]", "v1.KEY": "[secret]"}
    assert wrapped_secrets(result.wire[secret.urn]) == [{"KEY": "all", "v1.KEY": "one"}]


def test_known_values_are_still_validated_and_unknown_ones_pass_to_the_api_server():
    with pytest.raises(ArgsError, match=r"args.versions\[0\].image"):
        run_program(
            lambda: MeshService("review", service_args(versions=[{"name": "v1", "image": "Bad Image"}])) and None
        )
    with pytest.raises(ArgsError, match=r"args.resources.cpu_request"):
        run_program(lambda: MeshService("review", service_args(resources={"cpu_request": "lots"})) and None)
    result = run_program(
        lambda: (
            MeshService("review", service_args(resources={"cpu_request": pulumi.Output.from_input("250m")})) and None
        )
    )
    (deployment,) = result.find("Deployment")
    resources = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["cpu"] == "250m"


def test_a_name_in_both_env_and_secret_env_is_refused():
    with pytest.raises(ArgsError, match=r"args.secret_env.KEY: 'KEY' is also in `env`"):
        run_program(lambda: MeshService("review", service_args(env={"KEY": "a"}, secret_env={"KEY": "b"})) and None)


# -- the program, with secrets in its stack file ------------------------------------


def secret_stack(tmp_path: Path) -> Path:
    """dev, with a secret env value set as `pulumi config set --secret --path` writes it."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    stack["config"]["service-mesh:services"][0]["env"] = {"API_KEY": {"secure": "v1:CIPHERTEXTAAAA"}, "LOG": "debug"}
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    return tmp_path


def test_render_and_check_of_a_stack_with_a_nested_secret_show_neither_plaintext_nor_ciphertext(tmp_path, capsys):
    project = secret_stack(tmp_path / "project")
    out = tmp_path / "out"
    assert cli_main(["--project-dir", str(project), "render", "dev", "--out", str(out)]) == 0
    written = "".join(p.read_text() for p in out.rglob("*.yaml"))
    assert "CIPHERTEXT" not in written and "[secret]" in written
    assert "secretKeyRef" in (out / "product" / "deployment-product-v1.yaml").read_text()
    assert cli_main(["--project-dir", str(project), "check", "dev"]) == 0
    assert "CIPHERTEXT" not in capsys.readouterr().out


def test_the_program_under_the_cli_registers_a_path_secret_only_wrapped(tmp_path, monkeypatch):
    """As `pulumi up` runs it: the CLI passes the decrypted value, marks the top-level key
    secret, and the stack file in the working directory says which leaf."""
    project = secret_stack(tmp_path)
    config = stack_config("dev", project)
    services = json.loads(config["service-mesh:services"])
    services[0]["env"]["API_KEY"] = "plain-s3cr3t"  # what the CLI hands over, decrypted
    config["service-mesh:services"] = json.dumps(services)
    monkeypatch.chdir(project)
    monkeypatch.setitem(os.environ, "PULUMI_CONFIG_SECRET_KEYS", json.dumps(["service-mesh:services"]))
    result = run(lambda: main() or {}, config, "dev")
    assert wrapped_secrets(wire_of(result, "Secret", "product-env-autoname")) == [{"API_KEY": "plain-s3cr3t"}]
    for urn, wire in result.wire.items():
        assert plaintext_outside_secrets(wire, "plain-s3cr3t") == [], urn
    (deployment,) = result.find("Deployment", "product-v1")
    env = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "LOG", "value": "debug"} in env  # not every value turns secret


def test_a_key_secret_as_a_whole_keeps_every_env_value_secret_and_says_so(monkeypatch, tmp_path):
    config = stack_config("dev")
    services = json.loads(config["service-mesh:services"])
    services[0]["env"] = {"LOG": "debug"}
    config["service-mesh:services"] = json.dumps(services)
    monkeypatch.chdir(tmp_path)  # no stack file to tell which leaf
    monkeypatch.setitem(os.environ, "PULUMI_CONFIG_SECRET_KEYS", json.dumps(["service-mesh:services"]))
    notes: list[str] = []
    monkeypatch.setattr(pulumi.log, "info", lambda message, *a, **k: notes.append(message))
    result = run(lambda: main() or {}, config, "dev")
    assert wrapped_secrets(wire_of(result, "Secret", "product-env-autoname")) == [{"LOG": "debug"}]
    assert any("secret as a whole" in n for n in notes)


def test_a_secret_outside_env_is_refused_before_anything_registers(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    stack["config"]["service-mesh:services"][1]["versions"][0]["image"] = {"secure": "v1:AAAA"}
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    with pytest.raises(ArgsError, match=r"service-mesh:services\[1\]\.versions\[0\]\.image: is a secret"):
        run_stack("dev", tmp_path)


def test_proxy_sizes_and_namespace_labels_take_outputs_too():
    from istio_mesh import MeshNamespace

    def program() -> None:
        MeshNamespace("shop", {"labels": {"team": pulumi.Output.from_input("payments")}})
        MeshService("review", service_args(proxy={"cpu_request": pulumi.Output.from_input("75m")}))

    result = run_program(program)
    (namespace,) = result.find("Namespace", "shop")
    assert namespace.inputs["metadata"]["labels"]["team"] == "payments"
    (deployment,) = result.find("Deployment")
    assert deployment.inputs["spec"]["template"]["metadata"]["annotations"]["sidecar.istio.io/proxyCPU"] == "75m"


def test_the_stack_file_is_found_in_the_projects_stack_config_dir(tmp_path):
    from mesh.program import default_stack_file

    (tmp_path / "Pulumi.yaml").write_text("name: service-mesh\nruntime: python\nstackConfigDir: config\n")
    assert default_stack_file(tmp_path, "dev") == tmp_path / "config" / "Pulumi.dev.yaml"
    (tmp_path / "Pulumi.yaml").write_text("name: service-mesh\nruntime: python\n")
    assert default_stack_file(tmp_path, "dev") == tmp_path / "Pulumi.dev.yaml"


def test_the_env_secret_is_named_by_pulumi_and_the_deployments_follow_its_name():
    """A new value replaces the Secret create-before-delete under a new name, so the
    Deployments that refer to it change and roll their pods onto it (e2e step 5b)."""
    result = run_program(lambda: MeshService("review", service_args(secret_env={"TOKEN": "t0ken-value"})) and None)
    (secret,) = result.find("Secret")
    assert "name" not in result.wire[secret.urn]["metadata"]  # left to Pulumi
    assert secret.inputs["metadata"]["name"] == "review-env-autoname"  # what render shows
    for deployment in result.find("Deployment"):
        (env,) = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
        assert env["valueFrom"]["secretKeyRef"]["name"] == "review-env-autoname"
        assert secret.urn in deployment.dependencies  # created after it, and only then


def test_without_secret_env_values_there_is_no_secret():
    result = run_program(lambda: MeshService("review", service_args(env={"LOG": "debug"})) and None)
    assert result.find("Secret") == []

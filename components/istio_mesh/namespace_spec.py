"""What MeshNamespace registers: pure, no Pulumi."""

from dataclasses import dataclass
from typing import cast

from istio_mesh import defaults as d
from istio_mesh.args import MeshNamespaceArgs
from istio_mesh.control_plane_spec import Manifest, injection_labels
from istio_mesh.validation import mesh_namespace_problems, plain, raise_if


@dataclass(frozen=True)
class NamespaceSpec:
    """An application namespace and its mesh-wide policies."""

    name: str
    namespace: Manifest
    policies: tuple[Manifest, ...]
    """Istio custom resources in the namespace."""


def mesh_namespace_spec(name: str, args: MeshNamespaceArgs, path: str = "args") -> NamespaceSpec:
    """The namespace for ``args``; raises ArgsError listing every problem."""
    raise_if(mesh_namespace_problems(args, path, name), f"MeshNamespace {name!r} arguments")
    # Past validation the arguments are what their type says (Enum members as values).
    args = cast(MeshNamespaceArgs, plain(args))
    ns = args.get("namespace_name", name)
    labels = {
        **args.get("labels", {}),
        **injection_labels(args.get("revision", d.NAMESPACE.revision), args.get("data_plane", d.NAMESPACE.data_plane)),
    }
    namespace: Manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
    policies: list[Manifest] = []
    if args.get("default_deny", d.NAMESPACE.default_deny):
        # An ALLOW policy with no rules matches nothing, so it denies every
        # request that no other ALLOW policy admits.
        policies.append(
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "AuthorizationPolicy",
                "metadata": {"name": "allow-nothing", "namespace": ns},
                "spec": {"action": "ALLOW"},
            }
        )
    if "mtls_mode" in args:
        policies.append(
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "PeerAuthentication",
                "metadata": {"name": "default", "namespace": ns},
                "spec": {"mtls": {"mode": args["mtls_mode"]}},
            }
        )
    for ext in args.get("external_hosts", []):
        port = ext.get("port", d.EXTERNAL_HOST.port)
        protocol = ext.get("protocol", d.EXTERNAL_HOST.protocol)
        policies.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "ServiceEntry",
                "metadata": {"name": external_name(ext["host"]), "namespace": ns},
                "spec": {
                    "hosts": [ext["host"]],
                    "location": "MESH_EXTERNAL",
                    # A wildcard names no one address to resolve: the proxy
                    # forwards to the address the application asked for.
                    "resolution": "NONE" if ext["host"].startswith("*.") else "DNS",
                    "ports": [{"number": port, "name": f"{protocol.lower()}-{port}", "protocol": protocol}],
                    # Visible to every namespace's proxies, as any service may declare it.
                    "exportTo": ["*"],
                },
            }
        )
    return NamespaceSpec(ns, namespace, tuple(policies))


def external_name(host: str) -> str:
    """A DNS-label name for the ServiceEntry of ``host`` ("*." becomes "wildcard-")."""
    label = host.replace("*.", "wildcard-", 1).replace(".", "-")
    return ("external-" + label)[:63].rstrip("-")

"""Wiring by reference: a namespace from its control plane, a service from its namespace and
the services it calls, so that order, hosts and identities come from the objects, not from strings.

Python only: Pulumi's component analyzer cannot express references to this
package's own components in the multi-language schema. Other languages order by
references to the pulumi-kubernetes resources the components expose
(``control_plane_ready``, ``namespace_resource``: ``registration.ordered_after``) and
pass the rest as arguments (``namespace``, ``env``, ``allowed_callers``, ``expose``).
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import pulumi

from istio_mesh import defaults as d
from istio_mesh.args import MeshNamespaceArgs, MeshServiceArgs
from istio_mesh.grammar import env_prefix
from istio_mesh.registration import register
from istio_mesh.security_spec import grant_policy
from istio_mesh.shape import ArgsError, Problem, known_first

if TYPE_CHECKING:
    from istio_mesh.control_plane import IstioControlPlane
    from istio_mesh.mesh_namespace import MeshNamespace
    from istio_mesh.mesh_service import MeshService


def namespace_of(
    control_plane: "IstioControlPlane", name: str, args: MeshNamespaceArgs | None, opts: pulumi.ResourceOptions | None
) -> "MeshNamespace":
    """A MeshNamespace injected by ``control_plane``'s revision and ordered after it."""
    from istio_mesh.mesh_namespace import MeshNamespace

    merged = cast(MeshNamespaceArgs, {"revision": control_plane.spec.revision, **(args or {})})
    ordered = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=control_plane.ready))
    namespace = MeshNamespace(name, merged, ordered)
    namespace.control_plane = control_plane
    return namespace


def service_of(
    namespace: "MeshNamespace",
    name: str,
    args: Mapping[str, Any],
    calls: Sequence["MeshService"],
    entry: bool,
    opts: pulumi.ResourceOptions | None,
) -> "MeshService":
    """A MeshService in ``namespace``, ordered after it; told where each callee is,
    allowed to reach it, and admitted by it; behind the gateway when ``entry``."""
    from istio_mesh.mesh_service import MeshService

    merged: dict[str, Any] = {**args, "namespace": namespace.spec.name}
    env = dict(merged.get("env", {}))
    egress = list(merged.get("egress_hosts", []))
    for callee in calls:
        env.setdefault(f"{env_prefix(callee.spec.name)}_HOST", callee.spec.host)
        env.setdefault(f"{env_prefix(callee.spec.name)}_PORT", str(callee.spec.port))
        egress.append(f"{callee.spec.namespace}/{callee.spec.host}")
    if env:
        merged["env"] = env
    if calls:
        merged["egress_hosts"] = known_first(egress)
    if entry:
        merged |= _entry(namespace, merged)
    ordered = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace.resource]))
    service = MeshService(name, cast(MeshServiceArgs, merged), ordered)
    trust_domain = str(merged.get("trust_domain", d.CONTROL_PLANE.trust_domain))
    for callee in calls:
        grant = grant_policy(
            callee.spec.name, callee.spec.namespace, service.spec.namespace, service.spec.name, trust_domain
        )
        # The caller owns what it is granted, and it comes after the callee's policies.
        register(name, grant, pulumi.ResourceOptions(parent=service, depends_on=[callee]))
    return service


def _entry(namespace: "MeshNamespace", args: Mapping[str, Any]) -> dict[str, Any]:
    control_plane = namespace.control_plane
    if control_plane is None or not control_plane.spec.gateway_ref:
        raise ArgsError(
            [
                Problem(
                    "entry",
                    "needs a control plane with a gateway: create the namespace with "
                    "IstioControlPlane.mesh_namespace(...) on a control plane that has `gateway`",
                )
            ],
            "MeshNamespace.service arguments",
        )
    spec = control_plane.spec
    hosts = next(
        (r["spec"]["servers"][0]["hosts"] for r in spec.resources if r["kind"] == "Gateway"),
        ["*"],
    )
    callers = [
        *args.get("allowed_callers", []),
        {"namespace": spec.gateway_namespace, "service_account": spec.gateway_service_account},
    ]
    return {"expose": {"gateway": spec.gateway_ref, "hosts": list(hosts)}, "allowed_callers": callers}

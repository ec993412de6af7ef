"""Registration of one manifest as the matching pulumi_kubernetes resource."""

import re
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

# Typed classes where the provider has them: they get kind-specific await logic
# (a Deployment is ready when its pods are), which CustomResource does not.
_TYPED: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("v1", "Service"): k8s.core.v1.Service,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): k8s.autoscaling.v2.HorizontalPodAutoscaler,
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def child_name(component: str, suffix: str) -> str:
    """A child's Pulumi name, derived from its component's name."""
    return suffix if suffix == component or suffix.startswith(f"{component}-") else f"{component}-{suffix}"


def pulumi_type(manifest: Mapping[str, Any]) -> str:
    """The Pulumi type token a manifest registers as, such as ``kubernetes:apps/v1:Deployment``."""
    api_version = str(manifest["apiVersion"])
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{manifest['kind']}"


def with_secret_refs(value: Any, names: Mapping[str, pulumi.Input[str]]) -> Any:
    """``value`` (a manifest or any part of it) with each ``secretKeyRef`` to a Secret of
    ``names`` pointing at the name that Secret really gets (an Output where Pulumi names it)."""
    if isinstance(value, Mapping):
        out = {k: with_secret_refs(v, names) for k, v in value.items()}
        ref = value.get("secretKeyRef")
        if isinstance(ref, Mapping) and ref.get("name") in names:
            out["secretKeyRef"] = {**ref, "name": names[ref["name"]]}
        return out
    if isinstance(value, list):
        return [with_secret_refs(v, names) for v in value]
    return value


def register(
    component: str, manifest: Mapping[str, Any], opts: pulumi.ResourceOptions, *, auto_name: bool = False
) -> pulumi.CustomResource:
    """Register ``manifest`` as a child named after ``component`` and the object's name.

    With ``auto_name`` the object's name is left to Pulumi: the manifest's name plus a
    random suffix, new on every replacement, which is then create-before-delete."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    name = child_name(component, manifest["metadata"]["name"])
    fields = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    if auto_name:
        fields["metadata"] = {k: v for k, v in fields["metadata"].items() if k != "name"}
    if kind == "Secret":
        # Secret values stay wrapped in every input and in the state, whatever their source.
        fields = {
            k: {key: pulumi.Output.secret(value) for key, value in v.items()} if k in ("data", "stringData") else v
            for k, v in fields.items()
        }
    typed = _TYPED.get((api_version, kind))
    if typed is not None:
        resource: pulumi.CustomResource = typed(name, opts=opts, **{_snake(k): v for k, v in fields.items()})
        return resource
    return k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind, opts=opts, **fields)


REFERENCE_KEYS = ("namespace_resource", "control_plane_ready")
"""Argument keys holding resource references a component is ordered after."""


def ordered_after(args: Mapping[str, Any], opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions | None:
    """``opts`` with the resource references of ``args`` (``namespace_resource``,
    ``control_plane_ready``) added to ``depends_on``: how other languages, which cannot
    pass this package's components, order a component after the control plane. Either
    may be an Output (the provider hands a list of references over as one)."""
    out = opts
    if "namespace_resource" in args:
        out = pulumi.ResourceOptions.merge(out, pulumi.ResourceOptions(depends_on=[args["namespace_resource"]]))
    if "control_plane_ready" in args:
        out = pulumi.ResourceOptions.merge(out, pulumi.ResourceOptions(depends_on=args["control_plane_ready"]))
    return out

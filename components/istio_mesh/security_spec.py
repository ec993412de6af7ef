"""The security half of what MeshService registers: who may call it (AuthorizationPolicy), its
end-user JWTs, and what a caller by reference is granted; pure, no Pulumi."""

from collections.abc import Mapping, Sequence
from typing import Any

from istio_mesh import defaults as d
from istio_mesh.args import CallerArgs, JwtArgs
from istio_mesh.control_plane_spec import Manifest
from istio_mesh.routing_spec import meta


def principal(namespace: str, service_account: str, trust_domain: str = d.CONTROL_PLANE.trust_domain) -> str:
    """The mTLS identity Istio gives a workload's ServiceAccount."""
    return f"{trust_domain}/ns/{namespace}/sa/{service_account}"


def authorization_policy(
    svc: str, namespace: str, labels: Mapping[str, str], callers: Sequence[CallerArgs], trust_domain: str
) -> Manifest:
    rules = []
    for caller in sorted(callers, key=lambda c: (c["namespace"], c["service_account"])):
        rule: dict[str, Any] = {
            "from": [
                {"source": {"principals": [principal(caller["namespace"], caller["service_account"], trust_domain)]}}
            ]
        }
        operation = {k: caller[k] for k in ("methods", "paths") if caller.get(k)}
        if operation:
            rule["to"] = [{"operation": operation}]
        rules.append(rule)
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": meta(svc, namespace, labels),
        "spec": {"selector": {"matchLabels": {"app": svc}}, "action": "ALLOW", "rules": rules},
    }


def jwt_policies(svc: str, namespace: str, labels: Mapping[str, str], jwt: JwtArgs, ports: list[int]) -> list[Manifest]:
    rule: dict[str, Any] = {"issuer": jwt["issuer"], "jwksUri": jwt["jwks_uri"]}
    if jwt.get("audiences"):
        rule["audiences"] = list(jwt["audiences"])
    selector = {"matchLabels": {"app": svc}}
    return [
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "RequestAuthentication",
            "metadata": meta(svc, namespace, labels),
            "spec": {"selector": selector, "jwtRules": [rule]},
        },
        {
            # RequestAuthentication alone lets token-less requests through; ALLOW
            # policies are OR-ed, so only a DENY can make the token required.
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": meta(f"{svc}-require-jwt", namespace, labels),
            "spec": {
                "selector": selector,
                "action": "DENY",
                # Scoped to the HTTP ports: on a TCP port a DENY on HTTP attributes
                # would deny everything (Istio's IST0133).
                "rules": [
                    {
                        "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                        "to": [{"operation": {"ports": [str(p) for p in ports]}}],
                    }
                ],
            },
        },
    ]


def grant_policy(
    callee: str,
    callee_namespace: str,
    caller_namespace: str,
    caller_service_account: str,
    trust_domain: str = d.CONTROL_PLANE.trust_domain,
) -> Manifest:
    """An ALLOW policy, in the callee's namespace, that admits one caller's identity to
    the callee: what a caller brings along when it names its callee by reference.
    ALLOW policies add up, so it widens the callee's own policy by exactly this caller."""
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": f"{callee}-from-{caller_service_account}", "namespace": callee_namespace},
        "spec": {
            "selector": {"matchLabels": {"app": callee}},
            "action": "ALLOW",
            "rules": [
                {
                    "from": [
                        {"source": {"principals": [principal(caller_namespace, caller_service_account, trust_domain)]}}
                    ]
                }
            ],
        },
    }

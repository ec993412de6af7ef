"""Where a stack config holds secrets: secret env values move to ``secret_env``, any other
secret is refused. Pure, no Pulumi."""

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from istio_mesh.validation import Problem
from mesh.keys import Leaf, key_path


def leaf_path(key: str, leaf: Leaf) -> str:
    """A config key path such as ``service-mesh:services[1].env.API_KEY``."""
    return key_path(key) + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in leaf)


def _move_to_secret_env(owner: Any, name: str) -> bool:
    """Move ``owner.env[name]`` to ``owner.secret_env[name]``; False when there is no such value."""
    env = owner.get("env") if isinstance(owner, dict) else None
    if not isinstance(env, dict) or name not in env:
        return isinstance(owner, dict) and name in (owner.get("secret_env") or {})
    secret_env = owner.setdefault("secret_env", {})
    if isinstance(secret_env, dict):
        secret_env[name] = env.pop(name)
        if not env:
            del owner["env"]
    return True


def apply_secrets(
    values: dict[str, Any], secrets: Mapping[str, Sequence[Leaf]], known: Collection[str]
) -> tuple[list[Problem], list[str]]:
    """Secret env values into ``secret_env``; any other secret is a problem, as it
    would reach the cluster and Pulumi's state in plain text. Keys not in ``known``
    are left to the caller, which reports them as unknown."""
    problems: list[Problem] = []
    notes: list[str] = []
    if "services" in secrets and isinstance(values.get("services"), list):
        values["services"] = copy.deepcopy(values["services"])  # moved into, never the caller's
    services = values.get("services")
    for key, leaves in secrets.items():
        if key not in values or key not in known:
            continue
        for leaf in leaves:
            if key == "services" and leaf == () and isinstance(services, list):
                for owner in _env_owners(services):
                    for name in list(owner.get("env") or {}):
                        _move_to_secret_env(owner, name)
                notes.append(
                    f"{key_path(key)} is secret as a whole: every env value is kept secret (a Kubernetes Secret per "
                    "service); the rest (names, images, routes) is registered in plain text, as Kubernetes needs it"
                )
                continue
            target = _leaf_owner(services, leaf) if key == "services" else None
            if target is not None and leaf[-2] in ("env", "secret_env") and _move_to_secret_env(target, str(leaf[-1])):
                continue
            problems.append(
                Problem(
                    leaf_path(key, leaf),
                    "is a secret, but only env values of services (`env`, `secret_env`) are kept secret: this one "
                    "would be registered in plain text; set it without --secret, or pass it as an env value",
                )
            )
    return problems, notes


def _env_owners(services: list[Any]) -> list[dict[str, Any]]:
    """Every service and version entry (the mappings among them)."""
    owners = [s for s in services if isinstance(s, dict)]
    versions = [v for s in owners if isinstance(s.get("versions"), list) for v in s["versions"]]
    return owners + [v for v in versions if isinstance(v, dict)]


def _leaf_owner(services: Any, leaf: Leaf) -> Any:
    """The service (``[i].env.K``) or version (``[i].versions[j].env.K``) entry a leaf is in."""
    if not isinstance(services, list) or len(leaf) not in (3, 5) or not isinstance(leaf[0], int):
        return None
    owner = services[leaf[0]] if leaf[0] < len(services) else None
    if len(leaf) == 3:
        return owner
    versions = owner.get("versions") if isinstance(owner, dict) and leaf[1] == "versions" else None
    index = leaf[2]
    return versions[index] if isinstance(versions, list) and isinstance(index, int) and index < len(versions) else None

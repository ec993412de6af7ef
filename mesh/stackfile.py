"""Stack files read as the Pulumi CLI reads them: ``Pulumi.yaml`` defaults under ``Pulumi.<stack>.yaml``.

Every value comes out as the CLI hands it to the program: text, structured
values as JSON. Files that cannot be read give one ``StackFileError`` line naming
the file (and the line, for YAML errors).
"""

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mesh.config import PROJECT, Leaf

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The folder of Pulumi.yaml and the stack files."""
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""Pulumi's stack name characters."""
SECRET_PLACEHOLDER = "[secret]"
"""What offline runs put where a stack file holds a secret: never its plaintext, nor its ciphertext."""


class StackFileError(ValueError):
    """A stack file that cannot be read as the CLI would."""


def _cli_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: five times faster on a large stack file."""
_READ: dict[tuple[str, str], dict[str, Any]] = {}
"""Files already parsed in this process, by path and content digest: one run reads a
stack file for its values and again for its ``secure:`` markers."""


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file that must hold a mapping (or nothing). The result is shared between
    the callers that read the same unchanged file: read it, never change it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise StackFileError(f"{path}: cannot be read: {getattr(err, 'strerror', None) or err}") from None
    key = (str(path), hashlib.sha256(text.encode()).hexdigest())
    if key not in _READ:
        _READ[key] = _parse(path, text)
    return _READ[key]


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_LOADER)  # a safe loader: SafeLoader or its C twin
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or "not valid YAML"
        raise StackFileError(f"{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StackFileError(f"{path}: expected a mapping of keys, got {type(data).__name__}")
    return data


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def _leaves(value: Any, path: Leaf = ()) -> list[Leaf]:
    """Where ``value`` holds ``{secure: ...}`` markers."""
    if _is_secure(value):
        return [path]
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _leaves(v, (*path, str(k)))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return []


def _placeholders(value: Any) -> Any:
    if _is_secure(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, Mapping):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def secret_leaves(stack_file: Path) -> dict[str, list[Leaf]]:
    """Config key (without the project prefix) -> where its value holds secrets, as
    ``pulumi config set --secret [--path]`` wrote them into the stack file. A key that
    is secret as a whole has the empty leaf ``()``. Empty when the file is absent."""
    if not stack_file.is_file():
        return {}
    values = read_yaml(stack_file).get("config") or {}
    if not isinstance(values, Mapping):
        return {}
    prefix = f"{PROJECT}:"
    return {
        str(key)[len(prefix) :]: leaves
        for key, value in values.items()
        if str(key).startswith(prefix) and (leaves := _leaves(value))
    }


def stack_config(stack: str, project_dir: Path = PROJECT_DIR, stack_file: Path | None = None) -> dict[str, str]:
    """The config the CLI would pass for ``stack``: project defaults from Pulumi.yaml,
    overridden by the stack file (``Pulumi.<stack>.yaml`` unless given), every value as
    text (structured ones as JSON)."""
    if not STACK_NAME.fullmatch(stack):
        raise StackFileError(f"stack name {stack!r}: allowed: letters, digits, '_', '.' and '-'")
    project_file = project_dir / "Pulumi.yaml"
    if stack_file is not None and not stack_file.is_file():
        raise StackFileError(f"no stack file {stack_file}")
    stack_file = stack_file or project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackFileError(f"no stack {stack!r}: {stack_file} does not exist; stacks here: {', '.join(stacks)}")
    project = read_yaml(project_file)
    if project.get("name") != PROJECT:
        raise StackFileError(f"{project_file} names project {project.get('name')!r}, expected {PROJECT!r}")
    stack_values = read_yaml(stack_file).get("config") or {}
    if not isinstance(stack_values, dict):
        raise StackFileError(f"{stack_file}: `config` must be a mapping of keys")
    config: dict[str, str] = {}
    declared = project.get("config") or {}
    if not isinstance(declared, dict):
        raise StackFileError(f"{project_file}: `config` must be a mapping of keys")
    for key, decl in declared.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(decl, Mapping) and "default" in decl:
            config[full] = _cli_value(decl["default"])
        elif full not in stack_values:
            raise StackFileError(f"{stack_file.name}: missing required config {full!r} (declared in Pulumi.yaml)")
    for key, value in stack_values.items():
        # Secrets stay encrypted: offline runs see a placeholder in their place.
        config[str(key)] = _cli_value(_placeholders(value))
    return config

"""Shape of component arguments: pure, no Pulumi.

``check_shape`` walks a value against the very TypedDicts the component analyzer
reads (types, required and unknown keys, enum members) and names every problem
with its key path; ``Problem`` and ``ArgsError`` carry them to the user.
"""

import difflib
import functools
import re
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union, get_args, get_origin, is_typeddict


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, at a key path such as ``services[1].port``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ArgsError(ValueError):
    """Raised with every problem of an input at once, before anything is registered."""

    def __init__(self, problems: Iterable[Problem], subject: str = "arguments") -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.path, p.message))
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in {subject}:\n{lines}")


def raise_if(problems: list[Problem], subject: str) -> None:
    """Raise ArgsError when there is any problem."""
    if problems:
        raise ArgsError(problems, subject)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


@functools.cache
def input_parts(typ: Any) -> tuple[Any, tuple[type, ...]] | None:
    """For ``pulumi.Input[T]``: T, and the classes of values not known before the
    deployment (Outputs, awaitables). None for any other type. The classes come
    from the annotation itself, so this module needs no Pulumi."""
    if get_origin(typ) is not Union:
        return None
    plain: list[Any] = []
    pending: list[type] = []
    for member in get_args(typ):
        origin = get_origin(member) or member
        if origin is Awaitable or (isinstance(origin, type) and origin.__name__ == "Output"):
            pending.append(origin)
        else:
            plain.append(member)
    if len(plain) != 1 or not pending:
        raise TypeError(f"unsupported type {typ!r}")  # pragma: no cover - only pulumi.Input[T] is used
    return plain[0], tuple(pending)


def is_known(value: Any) -> bool:
    """Whether a value is known now (not an Output or awaitable still to resolve)."""
    return not (isinstance(value, Awaitable) or (hasattr(value, "apply") and hasattr(value, "is_secret")))


def known_first(values: Iterable[Any]) -> list[Any]:
    """The known values sorted, each once, then those not known yet (Outputs) in their
    order: a stable list to render, which the API server dedupes no further."""
    items = list(values)
    known = sorted({v for v in items if is_known(v)})
    return [*known, *(v for v in items if not is_known(v))]


def _type_name(typ: Any) -> str:
    parts = input_parts(typ)
    if parts:
        return _type_name(parts[0])
    origin = get_origin(typ)
    if origin is list:
        item = get_args(typ)[0]
        if is_typeddict(item):
            return "a list of objects"
        name = _type_name(item)
        if name.startswith("a ") and name.endswith(" resource"):
            return f"a list of {name[2:]}s"  # "a list of Release resources"
        return f"a list of {name}"
    if origin is dict:
        return f"a map of {_type_name(get_args(typ)[1])}"
    if is_typeddict(typ):
        return "an object"
    if isinstance(typ, type) and issubclass(typ, Enum):
        return "one of " + ", ".join(str(m.value) for m in typ)
    named = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
    if typ not in named and typ is not Any and isinstance(typ, type):
        return f"a {typ.__name__} resource"
    return named.get(typ, str(typ))


def _got(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def check_shape(value: Any, typ: Any, path: str) -> list[Problem]:
    """Problems of ``value`` against the type ``typ`` (TypedDicts, lists, maps, enums)."""
    # Most input is right: a compiled yes/no check answers that without building a
    # key path per field; the walk below, which names each problem, runs only
    # where something is wrong.
    if _conforms(typ)(value):
        return []
    return _shape_problems(value, typ, path)


def _shape_problems(value: Any, typ: Any, path: str) -> list[Problem]:
    origin = get_origin(typ)
    if typ is Any:
        return []
    parts = input_parts(typ)
    if parts:
        return [] if isinstance(value, parts[1]) else _shape_problems(value, parts[0], path)
    if is_typeddict(typ):
        if not isinstance(value, Mapping):
            return [Problem(path, f"expected an object, got {_got(value)}")]
        return _check_typeddict(value, typ, path)
    if origin is list:
        if not isinstance(value, list):
            return [Problem(path, f"expected {_type_name(typ)}, got {_got(value)}")]
        (item,) = get_args(typ)
        return [p for i, v in enumerate(value) for p in _shape_problems(v, item, join(path, i))]
    if origin is dict:
        if not isinstance(value, Mapping):
            return [Problem(path, f"expected {_type_name(typ)}, got {_got(value)}")]
        _, item = get_args(typ)
        problems = [Problem(join(path, str(k)), "keys must be text") for k in value if not isinstance(k, str)]
        return problems + [p for k, v in value.items() for p in _shape_problems(v, item, join(path, str(k)))]
    # Enums and scalars: the rule is the predicate's, only the message is made here.
    if _conforms(typ)(value):
        return []
    hint = ""
    if isinstance(typ, type) and issubclass(typ, Enum):
        hint = did_you_mean(str(value), [str(m.value) for m in typ])
    return [Problem(path, f"expected {_type_name(typ)}, got {_got(value)}{hint}")]


Check = Callable[[Any], bool]


def _always(_value: Any) -> bool:
    return True


@functools.cache
def _conforms(typ: Any) -> Check:
    """A predicate saying whether a value has the shape of ``typ``, built once per
    type. ``_shape_problems`` walks the same structure to name what is wrong, and
    takes the rules for enums and scalars from here."""
    origin = get_origin(typ)
    if typ is Any:
        return _always
    parts = input_parts(typ)
    if parts:
        known, pending = _conforms(parts[0]), parts[1]
        return lambda value: isinstance(value, pending) or known(value)
    if is_typeddict(typ):
        fields = {key: _conforms(field) for key, field in _hints(typ).items()}
        required = frozenset(typ.__required_keys__)

        def typeddict(value: Any) -> bool:
            if not isinstance(value, Mapping) or not required <= value.keys():
                return False
            for key, item in value.items():
                check = fields.get(key)
                if check is None or not check(item):
                    return False
            return True

        return typeddict
    if origin is list:
        each = _conforms(get_args(typ)[0])
        return lambda value: isinstance(value, list) and all(each(v) for v in value)
    if origin is dict:
        each = _conforms(get_args(typ)[1])
        return lambda value: (
            isinstance(value, Mapping) and all(isinstance(k, str) and each(v) for k, v in value.items())
        )
    if isinstance(typ, type) and issubclass(typ, Enum):
        allowed = [m.value for m in typ]
        return lambda value: isinstance(value, typ) or value in allowed
    if typ is bool:
        return lambda value: isinstance(value, bool)
    if typ is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if typ is float:
        return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    if typ is str:
        return lambda value: isinstance(value, str)
    if isinstance(typ, type):
        # A resource reference (a Namespace, a Helm Release): an instance of its class.
        return lambda value: isinstance(value, typ)
    raise TypeError(f"unsupported type {typ!r}")  # pragma: no cover - a type this walker does not know


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@functools.cache
def _hints(typ: Any) -> dict[str, Any]:
    # get_type_hints evaluates every annotation anew; a TypedDict's never change.
    return typing.get_type_hints(typ)


def _check_typeddict(value: Mapping[str, Any], typ: Any, path: str) -> list[Problem]:
    hints = _hints(typ)
    problems: list[Problem] = []
    for key in value:
        if key not in hints:
            allowed = ", ".join(sorted(hints))
            hint = did_you_mean(str(key), hints)
            problems.append(Problem(join(path, str(key)), f"unknown key{hint}; allowed: {allowed}"))
    for key in sorted(typ.__required_keys__):
        if key not in value:
            problems.append(Problem(join(path, key), f"required: {_type_name(hints[key])}"))
    for key, field_type in hints.items():
        if key in value:
            problems.extend(_shape_problems(value[key], field_type, join(path, key)))
    return problems


def shaped(args: Mapping[str, Any], typ: Any, path: str) -> tuple[list[Problem], dict[str, Any]]:
    """Shape problems, and the plain value to check for meaning once there are none."""
    shape = check_shape(args, typ, path)
    return shape, ({} if shape else plain(args))


def plain(value: Any) -> Any:
    """A deep copy with Enum members replaced by their values, for the spec builders."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value

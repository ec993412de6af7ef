"""Names of the program's config: the project, and key paths as the Pulumi CLI writes them."""

PROJECT = "service-mesh"
"""The Pulumi project name, and so the config namespace."""

Leaf = tuple[str | int, ...]
"""A path inside one config value: list indexes and map keys."""


def key_path(key: str) -> str:
    """A config key as the CLI names it."""
    return f"{PROJECT}:{key}"

"""The README's generated sections: written by ``python -m mesh docs``, kept in step by a test."""

from collections.abc import Callable
from pathlib import Path

from mesh.analysis.findings import markdown_table
from mesh.limits import markdown_limits

SECTIONS: dict[str, Callable[[], str]] = {"findings": markdown_table, "limits": markdown_limits}
"""Marker name -> generator of the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""


def with_sections(text: str) -> str:
    """``text`` with every generated section replaced by its current content."""
    for name, generate in SECTIONS.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        head, found, rest = text.partition(start)
        if not found:
            continue
        _, found_end, tail = rest.partition(end)
        if not found_end:
            raise ValueError(f"README: {start} without {end}")
        text = f"{head}{start}\n{generate()}\n{end}{tail}"
    return text


def write_readme_tables(project_dir: Path) -> list[Path]:
    """Rewrite the generated sections of the README; return the files changed."""
    path = project_dir / "README.md"
    old = path.read_text(encoding="utf-8")
    new = with_sections(old)
    if new == old:
        return []
    path.write_text(new, encoding="utf-8")
    return [path]

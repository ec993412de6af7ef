"""Findings: what one finding carries, how findings are ordered and printed, and the
README's table of every code (from ``mesh.analysis.rules``)."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from mesh.analysis.rules import ERROR, INFO, RULES, SEVERITIES, WARNING, Rule

__all__ = [
    "ERROR",
    "INFO",
    "RULES",
    "SEVERITIES",
    "WARNING",
    "Finding",
    "Rule",
    "finding",
    "format_finding",
    "markdown_table",
    "ordered",
]


@dataclass(frozen=True)
class Finding:
    """One problem found in what a stack registers."""

    code: str
    severity: str
    """"error" stops a deploy; "warning" is reported only."""
    object: str
    """Kind/namespace/name of the object, or ``(stack)``/``(config)``."""
    path: str
    """Field path inside the object, or the config key path."""
    message: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        """Stable JSON form."""
        return asdict(self)


def finding(code: str, obj: str, path: str, message: str, fix: str | None = None) -> Finding:
    """A finding of a registered code, with its severity and default fix."""
    rule = RULES[code]
    return Finding(code, rule.severity, obj, path, message, fix or rule.fix)


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then infos; each by object, code and path; duplicates dropped."""
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}
    return sorted(set(findings), key=lambda f: (rank.get(f.severity, 0), f.object, f.code, f.path, f.message))


def format_finding(f: Finding) -> str:
    """One finding for a person."""
    return f"{f.severity.upper():7} {f.code}  {f.object}  {f.path}\n        {f.message}\n        fix: {f.fix}"


def markdown_table() -> str:
    """The README's findings table."""
    lines = ["| code | severity | finding |", "|---|---|---|"]
    lines += [f"| {r.code} | {r.severity} | {r.finding} |" for r in RULES.values()]
    return "\n".join(lines)

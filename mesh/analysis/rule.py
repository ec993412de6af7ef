"""What one kind of finding is: its code, severity, what it finds and its fix."""

from dataclasses import dataclass

ERROR = "error"
"""Stops ``pulumi preview``/``up`` and ``render``; ``check`` exits 1."""
WARNING = "warning"
"""Reported only: in ``check``, and in Pulumi's log during ``preview``/``up``."""
INFO = "info"
"""Istio's "Info" level: worth knowing, never a failure (not even with ``--fail-on warning``)."""
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Rule:
    """One kind of finding."""

    code: str
    """IST.... where Istio's analyzer has the same check, else MESH...."""
    severity: str
    finding: str
    """What it finds, for the reference table."""
    fix: str
    """How to fix it, unless a finding says something more specific."""
    name: str = ""
    """Istio's or Kiali's name for the check, where it has one."""


def table_order(rule: Rule) -> tuple[int, str]:
    """MESH000x (input), then Istio's codes, Kiali's, and this project's own, each by number."""
    family = 0 if rule.code.startswith("MESH000") else {"IST": 1, "KIA": 2}.get(rule.code[:3], 3)
    return family, rule.code

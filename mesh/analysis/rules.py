"""Every code the analysis can report, with its severity, what it finds and its fix: one table.

The README's findings table is generated from ``RULES`` (``python -m mesh docs``);
the entries live in ``rules_istio`` (Istio's and Kiali's codes) and ``rules_mesh``
(this project's own).
"""

from mesh.analysis.rule import ERROR, INFO, SEVERITIES, WARNING, Rule, table_order
from mesh.analysis.rules_istio import ISTIO_RULES
from mesh.analysis.rules_mesh import MESH_RULES

__all__ = ["ERROR", "INFO", "RULES", "SEVERITIES", "WARNING", "Rule"]

RULES: dict[str, Rule] = {rule.code: rule for rule in sorted((*ISTIO_RULES, *MESH_RULES), key=table_order)}
"""Every rule by code, in the README's order."""

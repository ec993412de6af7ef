"""Istio releases this package knows, and the security fixes each brought: pure data.

``ISTIO_VERSION`` in ``istio_mesh.defaults`` is the one place that picks the
default; this table says why it is that one, and lets ``check`` warn when a stack
pins a release that later patches fixed vulnerabilities in.

The advisory ids below are this table's own names for a security release
("the 1.30.4 security release"), not Istio's advisory numbers, which the table
does not record; no CVE number is given that is not known here.

Chart values and CRDs did not change between 1.30.3, 1.30.4 and 1.30.5, so the
1.30.3 charts and CRDs the tests read validate output for all three.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Advisory:
    """A set of security fixes shipped in one patch release."""

    id: str
    """This table's name for it, such as "ISTIO-1.30.4-SECURITY"."""
    fixed_in: str
    """The first release with the fixes."""
    published: str
    """Release date, ISO 8601."""
    summary: str
    """What it fixes, in one line."""


@dataclass(frozen=True)
class KnownRelease:
    """One Istio release."""

    version: str
    published: str
    """Release date, ISO 8601, or "" when not recorded here."""
    notes: str
    """What it brought, in one line."""


ADVISORIES: tuple[Advisory, ...] = (
    Advisory(
        id="ISTIO-1.30.4-SECURITY",
        fixed_in="1.30.4",
        published="2026-08-26",
        summary=(
            "the 1.30.4 security release: thirteen Envoy CVEs, two AuthorizationPolicy (RBAC) "
            "bypasses, and istiod reporting ready before its webhook server accepts connections"
        ),
    ),
)
"""Security releases, oldest first."""

KNOWN_RELEASES: tuple[KnownRelease, ...] = (
    KnownRelease("1.30.3", "", "the release whose charts and CRDs the tests read"),
    KnownRelease("1.30.4", "2026-08-26", "security release (see ISTIO-1.30.4-SECURITY)"),
    KnownRelease("1.30.5", "2026-09-21", "patch release; chart values and CRDs unchanged since 1.30.3"),
)
"""Releases known here, oldest first; the last is the default."""


def version_key(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) of a chart version such as "1.30.5" or "1.31.0-beta.1"."""
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        raise ValueError(f"not a version: {version!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch)


def minor_of(version: str) -> tuple[int, int]:
    """(major, minor) of a version."""
    return version_key(version)[:2]


def advisories_for(version: str) -> list[Advisory]:
    """The known advisories a release is exposed to: those fixed by a later patch of
    its own minor version. Releases of other minors are not judged (unknown here)."""
    key = version_key(version)
    return [a for a in ADVISORIES if minor_of(a.fixed_in) == key[:2] and version_key(a.fixed_in) > key]

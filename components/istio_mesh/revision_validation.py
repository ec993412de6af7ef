"""What a control plane's revisions, tags, tracing and cluster facts must mean: pure, no Pulumi.

Istio's upgrade rules (base first, skip at most one minor version) and the
references between revisions, tags, namespaces and the gateway.
"""

import ipaddress
from collections.abc import Mapping
from typing import Any

from istio_mesh import defaults, grammar
from istio_mesh.checks import dns_label, in_range, rule
from istio_mesh.releases import minor_of, version_key
from istio_mesh.shape import Problem, did_you_mean, join

LABEL_VALUE_MAX = 63
"""Kubernetes label values are at most 63 characters."""


def domain(value: str) -> str | None:
    """A DNS name without wildcard, such as cluster.local."""
    if grammar.host(value) is None and not value.startswith("*."):
        return None
    return f"{value!r} is not a DNS name such as 'cluster.local'"


def label_value(value: str) -> str | None:
    """A Kubernetes label value."""
    if not value or (len(value) <= LABEL_VALUE_MAX and grammar.LABEL_NAME.fullmatch(value)):
        return None
    return f"{value!r} is not a label value: at most 63 of a-z, A-Z, 0-9, '-', '_', '.', alphanumeric at both ends"


def cidr(value: str, path: str) -> list[Problem]:
    """An IP network in CIDR notation."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return [Problem(path, f"{value!r} is not a CIDR such as '10.0.0.0/8' or 'fc00::/7'")]
    return []


def declared_revisions(args: Mapping[str, Any]) -> dict[str, str]:
    """Revisions of validated IstioControlPlaneArgs ("" for the default one) to their versions."""
    version = args.get("version", defaults.CONTROL_PLANE.version)
    if "revisions" in args:
        return {r["name"]: r.get("version", version) for r in args["revisions"]}
    return {args.get("revision", defaults.CONTROL_PLANE.revision): version}


def revision_ref_problems(args: Mapping[str, Any], ref: str, path: str) -> list[Problem]:
    """Problems of a reference to a revision tag or revision of the control plane
    ``args`` (validated): it must name one that is declared."""
    tags = args.get("tags", {})
    revisions = [r for r in declared_revisions(args) if r]
    if ref in tags or ref in revisions or (not ref and "revisions" not in args):
        return []
    allowed = ", ".join([*sorted(tags), *revisions]) or "none declared"
    what = "no declared revision tag or revision" if ref else "no revision: with `revisions`, name a tag"
    return [Problem(path, f"{ref!r} is {what}{did_you_mean(ref, [*tags, *revisions])}; allowed: {allowed}")]


def cluster_facts_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Trust domain, cluster domain, tracing and JWKS CIDRs of IstioControlPlaneArgs."""
    problems: list[Problem] = []
    if args.get("tracing_sampling_percent", 0) > 0 and "tracing" not in args:
        problems.append(
            Problem(
                join(path, "tracing_sampling_percent"),
                "traces would go nowhere: Istio has no default tracing provider and silently traces "
                "nothing; set `tracing` (an OpenTelemetry or Zipkin collector), or drop this key",
            )
        )
    if "tracing" in args:
        tpath = join(path, "tracing")
        problems += rule(grammar.host, args["tracing"]["service"], join(tpath, "service"))
        if "port" in args["tracing"]:
            problems += in_range(args["tracing"]["port"], 1, 65535, join(tpath, "port"))
    for key in ("trust_domain", "cluster_domain"):
        if key in args:
            problems += rule(domain, args[key], join(path, key))
    for i, value in enumerate(args.get("jwks_blocked_cidrs", [])):
        problems += cidr(value, join(join(path, "jwks_blocked_cidrs"), i))
    return problems


def revision_problems(args: Mapping[str, Any], path: str) -> list[Problem]:
    """Revisions, tags and versions of a canary upgrade: names, references, and
    Istio's rules (base first, skip at most one minor version)."""
    problems: list[Problem] = []
    rpath = join(path, "revisions")
    if "revisions" in args:
        if not args["revisions"]:
            problems.append(Problem(rpath, "needs at least one revision; leave it out for a single istiod"))
        if args.get("revision"):
            problems.append(
                Problem(
                    join(path, "revision"),
                    "set `revision` or `revisions`, not both; with `revisions` namespaces and the gateway select a tag",
                )
            )
    seen: set[str] = set()
    valid: list[tuple[int, str, str]] = []
    base = args.get("version", defaults.CONTROL_PLANE.version)
    for i, rev in enumerate(args.get("revisions", [])):
        ipath = join(rpath, i)
        problems += dns_label(rev["name"], join(ipath, "name"), "a revision")
        if rev["name"] in seen:
            problems.append(Problem(join(ipath, "name"), f"{rev['name']!r} is declared twice"))
        seen.add(rev["name"])
        if "version" in rev:
            bad = rule(grammar.chart_version, rev["version"], join(ipath, "version"))
            problems += bad
            if not bad:
                valid.append((i, rev["name"], rev["version"]))
        else:
            valid.append((i, rev["name"], base))
    if grammar.chart_version(base):
        return problems
    for _, name, version in valid:
        if version_key(version) > version_key(base):
            problems.append(
                Problem(
                    join(path, "version"),
                    f"base {base} is older than istiod revision {name!r} ({version}): base carries the CRDs "
                    "every revision needs and is upgraded first; raise `version` to the newest revision's",
                )
            )
    if valid:
        newest = max(valid, key=lambda v: version_key(v[2]))
        for i, _, version in valid:
            (major, minor), (new_major, new_minor) = minor_of(version), minor_of(newest[2])
            if major != new_major or new_minor - minor > 1:
                problems.append(
                    Problem(
                        join(join(rpath, i), "version"),
                        f"{version} is more than one minor version from revision {newest[1]!r} ({newest[2]}): "
                        "Istio upgrades skip at most one minor version; upgrade through the versions between",
                    )
                )
    revisions = [r for r in declared_revisions(args) if r]
    for tag, target in args.get("tags", {}).items():
        tpath = join(join(path, "tags"), tag)
        problems += dns_label(tag, tpath, "a tag name (a DNS label)")
        if target not in revisions:
            allowed = ", ".join(revisions) or "none declared: set `revisions` or `revision`"
            problems.append(
                Problem(
                    tpath,
                    f"points at revision {target!r}, which is not declared{did_you_mean(target, revisions)}; "
                    f"allowed: {allowed}",
                )
            )
        elif target == tag:
            problems.append(Problem(tpath, "a tag cannot have its revision's name"))
    return problems

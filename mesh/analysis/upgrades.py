"""Upgrade, tracing and hardening rules over what a stack installs: pure.

Each rule takes the Helm releases (mappings with ``name``, ``chart``, ``version``,
``namespace`` and ``values``, the inputs Pulumi registers) and/or the Kubernetes
and Istio manifests, and returns findings (MESH05xx, IST0175).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from istio_mesh import defaults
from istio_mesh.releases import advisories_for
from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import HELM_RELEASE, Inventory

Release = Mapping[str, Any]
Manifest = Mapping[str, Any]


def _chart(release: Release) -> str:
    """The chart's own name (base, istiod, gateway), also for an ``oci://`` reference."""
    return str(release.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]


def _ref(release: Release) -> str:
    return f"Release/{release.get('namespace', '')}/{release.get('name', '')}"


def _meta_ref(manifest: Manifest) -> str:
    meta = manifest.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{manifest.get('kind')}/{ns + '/' if ns else ''}{meta.get('name', '')}"


def vulnerable_versions(releases: Iterable[Release]) -> list[Finding]:
    """MESH0501: a release pins an Istio version that a later patch of its minor
    version fixed known vulnerabilities in (``istio_mesh.releases``)."""
    findings = []
    for release in releases:
        if _chart(release) not in ("base", "istiod", "gateway", "cni", "ztunnel"):
            continue
        version = str(release.get("version", ""))
        try:
            advisories = advisories_for(version)
        except ValueError:
            continue
        if advisories:
            listed = "; ".join(f"{a.id} ({a.summary})" for a in advisories)
            findings.append(
                finding(
                    "MESH0501",
                    _ref(release),
                    "version",
                    f"Istio {version} has known vulnerabilities fixed in a later patch: {listed}",
                    f"upgrade to {defaults.CONTROL_PLANE.version} (the newest known patch): in place through `version`, "
                    "or as a canary through a new entry in `revisions` and moving the tags",
                )
            )
    return findings


def _istiods(releases: Iterable[Release]) -> list[Release]:
    return [r for r in releases if _chart(r) == "istiod"]


def provided_revisions(releases: Iterable[Release]) -> set[str]:
    """What the istiod releases answer to: their revision ("default" for none) and
    their revision tags (the chart renders a tag's webhook in the release of its revision)."""
    provided: set[str] = set()
    for release in _istiods(releases):
        values = release.get("values") or {}
        provided.add(str(values.get("revision") or "default"))
        provided |= {str(t) for t in values.get("revisionTags") or []}
    return provided


def revision_selection(releases: Iterable[Release], manifests: Iterable[Manifest]) -> list[Finding]:
    """MESH0502: a namespace (``istio.io/rev``, or ``istio-injection=enabled`` for
    the default revision) or the gateway chart (``revision``) selects a revision or
    tag that no istiod release provides, as after removing a revision still in use:
    its new pods would get no sidecar, or not start (the gateway)."""
    releases = list(releases)
    if not _istiods(releases):
        return []
    provided = provided_revisions(releases)
    findings = []

    def missing(obj: str, path: str, ref: str) -> None:
        findings.append(
            finding(
                "MESH0502",
                obj,
                path,
                f"selects revision or tag {ref!r}, which no istiod provides (provided: {', '.join(sorted(provided))})",
                "point it at a declared tag, or keep the revision until nothing selects it",
            )
        )

    for manifest in manifests:
        if manifest.get("kind") != "Namespace":
            continue
        labels = (manifest.get("metadata") or {}).get("labels") or {}
        if "istio.io/rev" in labels and labels["istio.io/rev"] not in provided:
            missing(_meta_ref(manifest), "metadata.labels['istio.io/rev']", labels["istio.io/rev"])
        elif labels.get("istio-injection") == "enabled" and "istio.io/rev" not in labels and "default" not in provided:
            missing(_meta_ref(manifest), "metadata.labels['istio-injection']", "default")
    for release in releases:
        if _chart(release) == "gateway":
            ref = str((release.get("values") or {}).get("revision") or "default")
            if ref not in provided:
                missing(_ref(release), "values.revision", ref)
    return findings


def gateway_tls_secrets(manifests: Iterable[Manifest]) -> list[Finding]:
    """MESH0503: a Gateway serves TLS with a secret that the stack does not create.
    Istio finds it in the gateway's namespace; until it exists the listener has no
    certificate and HTTPS fails."""
    manifests = list(manifests)
    secrets = {
        ((m.get("metadata") or {}).get("namespace"), (m.get("metadata") or {}).get("name"))
        for m in manifests
        if m.get("kind") == "Secret"
    }
    findings = []
    for gateway in (m for m in manifests if m.get("kind") == "Gateway"):
        ns = (gateway.get("metadata") or {}).get("namespace")
        for i, server in enumerate((gateway.get("spec") or {}).get("servers") or []):
            name = (server.get("tls") or {}).get("credentialName")
            if name and (ns, name) not in secrets:
                findings.append(
                    finding(
                        "MESH0503",
                        _meta_ref(gateway),
                        f"spec.servers[{i}].tls.credentialName",
                        f"TLS secret {ns}/{name} is not managed by this stack: HTTPS fails until it exists",
                        f"create it before traffic arrives (cert-manager, or `kubectl -n {ns} create secret tls "
                        f"{name} --cert=... --key=...`)",
                    )
                )
    return findings


def _mesh_configs(releases: Iterable[Release]) -> list[Mapping[str, Any]]:
    return [((r.get("values") or {}).get("meshConfig") or {}) for r in _istiods(releases)]


def tracing_providers(releases: Iterable[Release], manifests: Iterable[Manifest]) -> list[Finding]:
    """MESH0504/MESH0505: a Telemetry traces through a provider no istiod's mesh config
    declares (an error: Istio drops the tracing), or through none while istiod has no
    default tracing provider (a warning: Istio silently traces nothing)."""
    configs = _mesh_configs(releases)
    if not configs:
        return []
    declared = [{p.get("name") for p in c.get("extensionProviders") or []} for c in configs]
    has_default = all((c.get("defaultProviders") or {}).get("tracing") for c in configs)
    findings = []
    for telemetry in (m for m in manifests if m.get("kind") == "Telemetry"):
        for i, tracing in enumerate((telemetry.get("spec") or {}).get("tracing") or []):
            names = [p.get("name") for p in tracing.get("providers") or []]
            path = f"spec.tracing[{i}].providers"
            for name in names:
                if not all(name in d for d in declared):
                    findings.append(
                        finding(
                            "MESH0504",
                            _meta_ref(telemetry),
                            path,
                            f"tracing provider {name!r} is not in every istiod's meshConfig.extensionProviders",
                            "declare it (the control plane's `tracing`), or name a declared one",
                        )
                    )
            if not names and not has_default and tracing.get("randomSamplingPercentage", 1) > 0:
                findings.append(
                    finding(
                        "MESH0505",
                        _meta_ref(telemetry),
                        path,
                        "traces are sampled but there is no tracing provider: Istio silently traces nothing",
                        "set the control plane's `tracing`",
                    )
                )
    return findings


def jwks_fetch_unrestricted(releases: Iterable[Release], manifests: Iterable[Manifest]) -> list[Finding]:
    """IST0175 (istioctl analyze's JwksUriFetchUnrestricted): RequestAuthentications
    exist but istiod has no BLOCKED_CIDRS_IN_JWKS_URIS, so a JWKS URI may point it at
    internal addresses."""
    istiods = _istiods(releases)
    auths = [m for m in manifests if m.get("kind") == "RequestAuthentication"]
    if not istiods or not auths:
        return []
    findings = []
    for release in istiods:
        values = release.get("values") or {}
        env = {**(values.get("env") or {}), **((values.get("pilot") or {}).get("env") or {})}
        if not env.get("BLOCKED_CIDRS_IN_JWKS_URIS"):
            names = ", ".join(sorted(_meta_ref(m) for m in auths))
            findings.append(
                finding(
                    "IST0175",
                    _ref(release),
                    "values.pilot.env.BLOCKED_CIDRS_IN_JWKS_URIS",
                    f"BLOCKED_CIDRS_IN_JWKS_URIS is not configured but {len(auths)} RequestAuthentication "
                    f"resource(s) exist ({names})",
                    "keep the control plane's default `jwks_blocked_cidrs` (private ranges), or set your own",
                )
            )
    return findings


def root_namespace(inventory: Inventory) -> str:
    """The mesh's root namespace, whose policies apply to every namespace: istiod's
    ``meshConfig.rootNamespace``, else its namespace (``global.istioNamespace``), as
    the istiod chart sets it."""
    for release in _istiods(releases_of(inventory)):
        values = release.get("values") or {}
        root = (values.get("meshConfig") or {}).get("rootNamespace") or (values.get("global") or {}).get(
            "istioNamespace"
        )
        return str(root or release.get("namespace") or defaults.CONTROL_PLANE.namespace)
    return defaults.CONTROL_PLANE.namespace


def releases_of(inventory: Inventory) -> list[Release]:
    """The Helm releases' inputs."""
    return [r.inputs for r in inventory.custom() if r.type == HELM_RELEASE]


def upgrade_findings(inventory: Inventory) -> list[Finding]:
    """Every rule of this module."""
    releases = releases_of(inventory)
    manifests = [r.inputs for r in inventory.custom() if r.type != HELM_RELEASE]
    return [
        *vulnerable_versions(releases),
        *revision_selection(releases, manifests),
        *gateway_tls_secrets(manifests),
        *tracing_providers(releases, manifests),
        *jwks_fetch_unrestricted(releases, manifests),
    ]

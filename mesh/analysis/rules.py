"""Every code the analysis can report, with its severity, what it finds and its fix: one table.

The README's findings table is generated from ``RULES`` (``python -m mesh docs``).
"""

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


def _table_order(rule: Rule) -> tuple[int, str]:
    """MESH000x (input), then Istio's codes, Kiali's, and this project's own, each by number."""
    family = 0 if rule.code.startswith("MESH000") else {"IST": 1, "KIA": 2}.get(rule.code[:3], 3)
    return family, rule.code


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in sorted(
        (
            Rule(
                "MESH0001",
                ERROR,
                "schema violation: Kubernetes kinds under `kubernetes-validate` strict, Istio kinds under "
                "their CRDs' `openAPIV3Schema` with unknown fields rejected and every CEL rule evaluated",
                "fix the field to match the kind's schema",
            ),
            Rule(
                "MESH0002",
                WARNING,
                "the Istio CRDs were not found, so Istio kinds were not schema-checked",
                "pass --crds or set $MESH_ISTIO_CRDS",
            ),
            Rule(
                "MESH0003",
                ERROR,
                "a problem in the stack config, at its key path (JSON output only; text output lists them on stderr)",
                "fix the key as the message says",
            ),
            Rule(
                "IST0101",
                ERROR,
                "a VirtualService destination, subset or mirror that resolves to nothing",
                "route to a declared service and version",
            ),
            Rule("IST0109", ERROR, "two mesh-bound VirtualServices for one host", "merge the VirtualServices"),
            Rule("IST0112", ERROR, "a destination without port on a multi-port Service", "set destination.port"),
            Rule(
                "IST0118",
                INFO,
                "a Service port name that gives Istio no protocol",
                "name it <protocol>[-suffix] or set appProtocol",
            ),
            Rule("IST0123", WARNING, "both injection labels on a namespace", "keep one injection label"),
            Rule("IST0130", WARNING, "a route after a catch-all route", "move the catch-all route last"),
            Rule(
                "IST0173",
                ERROR,
                "a DestinationRule subset that selects no pod",
                "add the version, or drop the subset",
            ),
            Rule(
                "IST0002",
                WARNING,
                "a deprecated field: `fault.delay.percent` on a VirtualService route, "
                "`outboundTrafficPolicy.egressProxy` on a Sidecar",
                "use the replacement the message names",
                "Deprecated",
            ),
            Rule(
                "IST0102",
                INFO,
                "a namespace without an injection label (system and control-plane namespaces, and those whose "
                "every Pod asks for its own sidecar, aside)",
                "label it istio-injection=enabled, or istio-injection=disabled",
                "NamespaceNotInjected",
            ),
            Rule(
                "IST0107",
                WARNING,
                "an Istio annotation on a kind it does not apply to (a Pod annotation on a Deployment's own metadata)",
                "move the annotation to the kind it applies to (a Pod's: the Deployment's template)",
                "MisplacedAnnotation",
            ),
            Rule(
                "IST0108",
                WARNING,
                "an annotation in an `istio.io` domain that Istio 1.30 does not know",
                "fix the annotation's name, or drop it",
                "UnknownAnnotation",
            ),
            Rule(
                "IST0110",
                ERROR,
                "two Sidecars that select one workload's Pods",
                "make the Sidecars' selectors disjoint",
                "ConflictingSidecarWorkloadSelectors",
            ),
            Rule(
                "IST0111",
                ERROR,
                "more than one Sidecar without workload selector in a namespace",
                "keep one Sidecar without selector per namespace",
                "MultipleSidecarsWithoutWorkloadSelectors",
            ),
            Rule(
                "IST0116",
                WARNING,
                "a workload's Pods behind several Services that give one port different protocols",
                "give every Service of the workload one protocol per port",
                "DeploymentAssociatedToMultipleServices",
            ),
            Rule(
                "IST0125",
                WARNING,
                "an Istio annotation whose value Istio rejects (booleans, ports, port and CIDR lists, "
                "interception mode, quantities, log levels, proxy config)",
                "fix the annotation's value",
                "InvalidAnnotation",
            ),
            Rule(
                "IST0127",
                WARNING,
                "an AuthorizationPolicy that selects no Pod on the mesh (synthesized from the workloads' templates)",
                "select the labels of a workload on the mesh, or drop the policy",
                "NoMatchingWorkloadsFound",
            ),
            Rule(
                "IST0131",
                INFO,
                "a VirtualService match that repeats a match of an earlier route",
                "drop the repeated match",
                "VirtualServiceIneffectiveMatch",
            ),
            Rule(
                "IST0135",
                INFO,
                "a deprecated Istio annotation",
                "use the replacement, or drop the annotation",
                "DeprecatedAnnotation",
            ),
            Rule(
                "IST0136",
                INFO,
                "an alpha-phase Istio annotation (only with `--alpha-annotations`: like `istioctl analyze`, "
                "not by default)",
                "accept the risk, or use a stable API",
                "AlphaAnnotation",
            ),
            Rule(
                "IST0137",
                WARNING,
                "a workload's Pods behind several Services that map one targetPort to different ports",
                "use one Service port per targetPort across the workload's Services",
                "DeploymentConflictingPorts",
            ),
            Rule(
                "IST0140",
                WARNING,
                "a gateway-bound VirtualService routes to a host without subset while a mesh VirtualService splits "
                "that host by subset: the split does not apply to ingress requests",
                "route to the subsets in the gateway's VirtualService too",
                "IngressRouteRulesNotAffected",
            ),
            Rule(
                "IST0144",
                WARNING,
                "a Pod or container on the mesh that runs as UID 1337, the sidecar's",
                "run the application as another UID",
                "InvalidApplicationUID",
            ),
            Rule(
                "IST0167",
                WARNING,
                "a Sidecar whose workloads (or namespace) are in ambient mode: it has no impact",
                "drop the Sidecar, or take the workloads out of ambient mode",
                "IneffectivePolicy",
            ),
            Rule(
                "IST0174",
                WARNING,
                "a DestinationRule for a host that is neither a Service nor a ServiceEntry host of the stack",
                "name a declared service or external host",
                "UnknownDestinationRuleHost",
            ),
            Rule(
                "KIA0201",
                WARNING,
                "two DestinationRules for one host and subset (or for one whole host)",
                "merge the DestinationRules",
                "MultipleDestinationRulesForHostSubset",
            ),
            Rule(
                "KIA0209",
                WARNING,
                "a DestinationRule subset without labels",
                "give the subset labels",
                "SubsetNoLabels",
            ),
            Rule(
                "KIA0701",
                WARNING,
                "a Service port whose targetPort no container of the selected workloads exposes",
                "expose the port in the container, or fix targetPort",
                "ServicePortNotExposed",
            ),
            Rule(
                "KIA1104",
                WARNING,
                "a route with a single destination whose weight is under 100: Istio sends it all the traffic",
                "drop the weight, or add the other destinations",
                "SingleDestinationWeight",
            ),
            Rule(
                "KIA1105",
                WARNING,
                "a route that names one host and subset twice among its destinations",
                "merge the two destinations",
                "DuplicateRouteDestination",
            ),
            Rule(
                "KIA1301",
                WARNING,
                "a workload on the mesh that no AuthorizationPolicy covers (no policy of its namespace or the root's "
                "selects it)",
                "add a default-deny policy to its namespace, or a policy that selects it",
                "WorkloadNotCoveredByAuthorization",
            ),
            Rule("MESH0101", ERROR, "a workload not ordered after istiod", "add the control plane to depends_on"),
            Rule(
                "MESH0102",
                ERROR,
                "an Istio resource not ordered after the base and istiod releases",
                "add the control plane to depends_on",
            ),
            Rule(
                "MESH0103",
                ERROR,
                "host `*` on a VirtualService bound to the mesh",
                "bind the '*' host to the gateway in a VirtualService of its own",
            ),
            Rule("MESH0201", ERROR, "policies that block a declared call", "allow the caller's principal"),
            Rule(
                "MESH0202",
                ERROR,
                "policies that admit an undeclared caller",
                "add a default-deny policy, declare the call, or drop the rule",
            ),
            Rule(
                "MESH0301",
                ERROR,
                "two objects of one kind, namespace and name (derived names collide)",
                "rename one of the two owners",
            ),
            Rule("MESH0302", ERROR, "two resources with one Pulumi URN", "rename one of the two owners"),
            Rule(
                "MESH0303",
                ERROR,
                "an object larger than the API server accepts (1.5 MiB, etcd's request limit)",
                "move large values out of env or annotations, into a ConfigMap or Secret",
            ),
            Rule(
                "MESH0401",
                WARNING,
                "two VirtualServices bind one host on one gateway and one catches every request: "
                "Istio merges them in an undefined order",
                "give the entry services distinct hosts, or match routes",
            ),
            Rule(
                "MESH0402",
                WARNING,
                "a route mirrors to a version that also receives its weighted traffic",
                "mirror to a version outside the route's destinations",
            ),
            Rule(
                "MESH0403",
                WARNING,
                "an ingress gateway that no VirtualService binds: it answers every request with 404",
                "mark a service `entry: true`, or drop the gateway",
            ),
            Rule(
                "MESH0404",
                WARNING,
                "a stack with no services: only the control plane is installed",
                "declare services, or ignore this for a control-plane-only stack",
            ),
            Rule(
                "MESH0405",
                WARNING,
                "an env var `<SERVICE>_HOST` that points elsewhere than the service it names",
                "drop the override: `calls` derives it",
            ),
            Rule(
                "MESH0406",
                WARNING,
                "a service that others call runs zero replicas: their calls fail with 503",
                "give it replicas, or drop the calls",
            ),
            Rule(
                "MESH0407",
                WARNING,
                "a PeerAuthentication in PERMISSIVE or DISABLE mode: its workloads accept plain text",
                "use STRICT once every client is on the mesh",
            ),
            Rule(
                "MESH0408",
                WARNING,
                "end-user JWTs required at a service that other services call: their calls carry no token and are denied",
                "require the JWT at the entry service only",
            ),
            Rule(
                "MESH0409",
                WARNING,
                "retries that cannot all run within the route's timeout",
                "raise the timeout or lower attempts or per_try_timeout",
            ),
            Rule(
                "MESH0410",
                WARNING,
                "a fault that aborts every request of a catch-all route: the service is down",
                "lower abort_percent, or match the fault to test traffic",
            ),
            Rule(
                "MESH0501",
                WARNING,
                "a release pins an Istio version with known security fixes in a later patch",
                "upgrade to the newest known patch, in place or as a canary revision",
            ),
            Rule(
                "MESH0502",
                ERROR,
                "a namespace or the gateway selects a revision or tag that no istiod provides",
                "point it at a declared tag, or keep the revision until nothing selects it",
            ),
            Rule(
                "MESH0503",
                WARNING,
                "a Gateway's TLS secret is not created by the stack: HTTPS fails until it exists",
                "create the secret (cert-manager, or kubectl create secret tls)",
            ),
            Rule(
                "MESH0504",
                ERROR,
                "a Telemetry traces through a provider no istiod declares",
                "declare it (the control plane's `tracing`), or name a declared one",
            ),
            Rule(
                "MESH0505",
                WARNING,
                "traces are sampled but istiod has no tracing provider: Istio traces nothing",
                "set the control plane's `tracing`",
            ),
            Rule(
                "MESH0601",
                WARNING,
                "the Gateway API CRDs were not found, so Gateway API kinds were not schema-checked",
                "pass --gateway-api-crds or set $MESH_GATEWAY_API_CRDS",
            ),
            Rule(
                "MESH0602",
                ERROR,
                "an HTTPRoute or GRPCRoute parent, backend or mirror that resolves to no Service, port or Gateway",
                "route to a declared service and version",
            ),
            Rule(
                "MESH0603",
                ERROR,
                "istiod or a Gateway API object not ordered after the Gateway API CRDs the stack installs",
                "add the CRDs to depends_on",
            ),
            Rule(
                "MESH0604",
                ERROR,
                "ambient releases out of order (base → istiod → cni → ztunnel → gateways), or a workload not "
                "ordered after ztunnel",
                "add the node agents to depends_on",
            ),
            Rule(
                "MESH0605",
                WARNING,
                "an ingress Gateway API Gateway that no HTTPRoute or GRPCRoute binds: it answers every request with 404",
                "mark a service `entry: true`, or drop the gateway",
            ),
            Rule(
                "IST0175",
                WARNING,
                "RequestAuthentications exist but istiod does not restrict JWKS fetches (BLOCKED_CIDRS_IN_JWKS_URIS)",
                "keep the control plane's default `jwks_blocked_cidrs`, or set your own",
            ),
        ),
        key=_table_order,
    )
}

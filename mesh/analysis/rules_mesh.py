"""This project's own codes: input (MESH000x), ordering, risks, upgrades and Gateway API."""

from mesh.analysis.rule import ERROR, WARNING, Rule

MESH_RULES: tuple[Rule, ...] = (
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
        "retries that cannot all run within the route's timeout (a VirtualService route, an HTTPRoute rule)",
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
        "the Gateway API CRDs of the stack's channel were not found, so Gateway API kinds were not schema-checked",
        "pass --gateway-api-crds, or set $MESH_GATEWAY_API_CRDS ($MESH_GATEWAY_API_EXPERIMENTAL_CRDS for experimental)",
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
)

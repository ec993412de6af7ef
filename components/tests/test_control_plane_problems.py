"""Golden snapshot: every problem users read for a corpus of control plane arguments, in order, at its key path."""

import pytest

from istio_mesh import defaults
from istio_mesh.validation import control_plane_problems

CORPUS = {
    "a version, repository and namespace that are not what they should be": {
        "version": "1.30",
        "repository": "ftp://charts.example",
        "namespace": "kube-system",
    },
    "a repository without a scheme, with a space, and a namespace that is not a DNS label": {
        "repository": "charts.example/istio",
        "namespace": "Istio_System",
    },
    "a repository with a space": {"repository": "https://charts.example/ist io"},
    "a revision too long for a Helm release name": {"revision": "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"},
    "a revision of the longest length": {"revision": "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"},
    "a revision that is not a DNS label": {"revision": "Canary"},
    "istiod replicas and autoscaling out of range": {
        "istiod": {"replicas": 0, "autoscale_max": 101, "resources": {"cpu_request": "2", "cpu_limit": "1"}}
    },
    "istiod autoscaling below its replicas": {"istiod": {"replicas": 3, "autoscale_max": 2}},
    "istiod autoscaling at its replicas, at the bounds": {"istiod": {"replicas": 100, "autoscale_max": 100}},
    "istiod autoscaling below the default replica": {"istiod": {"autoscale_max": 0}},
    "sampling out of range, without tracing": {"tracing_sampling_percent": 101, "timeout_seconds": 29},
    "sampling and timeouts at their bounds": {
        "tracing_sampling_percent": 100,
        "timeout_seconds": 3600,
        "tracing": {"provider": "zipkin", "service": "zipkin.observability", "port": 65535},
    },
    "a timeout above its bound and tracing to a bad host and port": {
        "timeout_seconds": 3601,
        "tracing": {"provider": "zipkin", "service": "Zipkin", "port": 0},
    },
    "bad domains and CIDRs": {
        "trust_domain": "*.example.com",
        "cluster_domain": "Cluster.Local",
        "jwks_blocked_cidrs": ["10.0.0.0/8", "10.0.0.1/8", "fc00::/7", "banana"],
    },
    "default retries without the Gateway API": {"default_retries": {"attempts": 3}},
    "default retries with the Gateway API": {"traffic_api": "gateway-api", "default_retries": {"attempts": 11}},
    "a Gateway API version that is not a release": {"gateway_api": {"version": "1.5.1"}},
    "a Gateway API version that is too old": {"gateway_api": {"version": "v1.1.0"}, "version": "1.29.2"},
    "a Gateway API version that is recent enough": {"gateway_api": {"version": "v2.0.0"}},
    "a CRDs file without installing the CRDs": {"gateway_api": {"crds_file": "crds.yaml"}},
    "an empty CRDs file": {"gateway_api": {"crds_file": " ", "install_crds": True}},
    "a CRDs file with a control character": {"gateway_api": {"crds_file": "a\tb", "install_crds": True}},
    "revisions, tags and a gateway revision under ambient": {
        "data_plane": "ambient",
        "revision": "canary",
        "tags": {"prod": "canary"},
        "gateway": {"revision": "prod"},
    },
    "revisions under ambient": {"data_plane": "ambient", "revisions": [{"name": "a"}]},
    "ambient charts' values without ambient": {"cni_values": {}, "ztunnel_values": {}},
    "a gateway in the control plane's namespace with bad hosts": {
        "gateway": {
            "namespace": "istio-system",
            "replicas": 101,
            "hosts": ["*", "Bad", "a.example", "a.example"],
            "tls_credential_name": "Cert",
        }
    },
    "a gateway in a reserved namespace without hosts": {
        "namespace": "mesh",
        "gateway": {"namespace": "kube-public", "replicas": 0, "hosts": []},
    },
    "a gateway whose namespace is not a DNS label": {"gateway": {"namespace": "Gw", "replicas": 100}},
    "a gateway in the default control plane namespace": {"gateway": {"namespace": "istio-system"}},
    "a gateway without revision beside revisions": {"revisions": [{"name": "stable"}], "gateway": {}},
    "a gateway selecting an undeclared tag": {
        "revisions": [{"name": "stable"}, {"name": "canary"}],
        "tags": {"prod": "stable"},
        "gateway": {"revision": "prd"},
    },
    "a gateway selecting the default revision beside revisions": {
        "revisions": [{"name": "stable"}],
        "gateway": {"revision": ""},
    },
    "a gateway selecting a revision without revisions": {"revision": "canary", "gateway": {"revision": "canary"}},
    "a gateway selecting a revision when none is declared": {"gateway": {"revision": "canary"}},
    "empty revisions beside a revision": {"revisions": [], "revision": "canary"},
    "revisions named twice, badly, with bad versions": {
        "version": "1.30.5",
        "revisions": [{"name": "a"}, {"name": "a", "version": "1.30"}, {"name": "B", "version": "1.29.0"}],
    },
    "a revision newer than base": {"version": "1.29.3", "revisions": [{"name": "new", "version": "1.30.5"}]},
    "revisions two minors apart": {
        "version": "1.30.5",
        "revisions": [{"name": "old", "version": "1.28.1"}, {"name": "new"}],
    },
    "revisions one minor apart": {
        "version": "1.30.5",
        "revisions": [{"name": "old", "version": "1.29.1"}, {"name": "new"}],
    },
    "revisions of another major": {
        "version": "2.0.0",
        "revisions": [{"name": "old", "version": "1.30.1"}, {"name": "new"}],
    },
    "a base version that is not a chart version": {
        "version": "latest",
        "revisions": [{"name": "a", "version": "9.0.0"}],
    },
    "tags that point nowhere, at themselves or are not DNS labels": {
        "revisions": [{"name": "stable"}, {"name": "canary"}],
        "tags": {"prod": "stabel", "canary": "canary", "Beta": "canary"},
    },
    "tags without revisions": {"tags": {"prod": "stable"}},
    "a tag on a single revision": {"revision": "canary", "tags": {"prod": "canary"}},
}

EXPECTED = {
    "a version, repository and namespace that are not what they should be": [
        "cp.version: '1.30' is not a chart version; allowed: such as \"1.30.5\"",
        "cp.repository: 'ftp://charts.example': allowed: an https://, http:// or oci:// URL",
        "cp.namespace: 'kube-system' "
        "belongs to the cluster; not "
        "allowed here: kube-node-lease, "
        "kube-public, kube-system",
    ],
    "a repository without a scheme, with a space, and a namespace that is not a DNS label": [
        "cp.repository: 'charts.example/istio': allowed: an https://, http:// or oci:// URL",
        "cp.namespace: "
        "'Istio_System' is "
        "not a namespace "
        "name: 1 to 63 "
        "lower-case "
        "letters, digits "
        "and '-', starting "
        "and ending with a "
        "letter or digit",
    ],
    "a repository with a space": [
        "cp.repository: 'https://charts.example/ist io': allowed: an https://, http:// or oci:// URL"
    ],
    "a revision too long for a Helm release name": ["cp.revision: at most 46 characters (Helm release names)"],
    "a revision of the longest length": [],
    "a revision that is not a DNS label": [
        "cp.revision: 'Canary' is not a revision: 1 to 63 lower-case "
        "letters, digits and '-', starting and ending with a letter or "
        "digit"
    ],
    "istiod replicas and autoscaling out of range": [
        "cp.istiod.replicas: 0 is out of range; allowed: 1 to 100",
        "cp.istiod.autoscale_max: 101 is out of range; allowed: 1 to 100",
        "cp.istiod.resources.cpu_request: request 2 is above limit 1; allowed: a request at most its limit",
    ],
    "istiod autoscaling below its replicas": ["cp.istiod.autoscale_max: must be at least `replicas`"],
    "istiod autoscaling at its replicas, at the bounds": [],
    "istiod autoscaling below the default replica": [
        "cp.istiod.autoscale_max: 0 is out of range; allowed: 1 to 100",
        "cp.istiod.autoscale_max: must be at least `replicas`",
    ],
    "sampling out of range, without tracing": [
        "cp.tracing_sampling_percent: 101 is out of range; allowed: 0 to 100",
        "cp.tracing_sampling_percent: traces would go nowhere: Istio has "
        "no default tracing provider and silently traces nothing; set "
        "`tracing` (an OpenTelemetry or Zipkin collector), or drop this "
        "key",
        "cp.timeout_seconds: 29 is out of range; allowed: 30 to 3600",
    ],
    "sampling and timeouts at their bounds": [],
    "a timeout above its bound and tracing to a bad host and port": [
        "cp.tracing.service: 'Zipkin' is not a "
        "host name: lower-case DNS labels joined "
        "by '.', optionally starting with '*.'",
        "cp.tracing.port: 0 is out of range; allowed: 1 to 65535",
        "cp.timeout_seconds: 3601 is out of range; allowed: 30 to 3600",
    ],
    "bad domains and CIDRs": [
        "cp.trust_domain: '*.example.com' is not a DNS name such as 'cluster.local'",
        "cp.cluster_domain: 'Cluster.Local' is not a DNS name such as 'cluster.local'",
        "cp.jwks_blocked_cidrs[1]: '10.0.0.1/8' is not a CIDR such as '10.0.0.0/8' or 'fc00::/7'",
        "cp.jwks_blocked_cidrs[3]: 'banana' is not a CIDR such as '10.0.0.0/8' or 'fc00::/7'",
    ],
    "default retries without the Gateway API": [
        "cp.default_retries: only with `traffic_api: gateway-api`: with "
        "`istio` every route carries its own retries (a service's "
        "`retries`), so this would change nothing"
    ],
    "default retries with the Gateway API": ["cp.default_retries.attempts: 11 is out of range; allowed: 0 to 10"],
    "a Gateway API version that is not a release": [
        "cp.gateway_api.version: '1.5.1' is not a Gateway API release; allowed: such as \"v1.5.1\""
    ],
    "a Gateway API version that is too old": [
        "cp.gateway_api.version: Istio 1.29.2 is built against Gateway "
        "API v1.5.1; v1.1.0's CRDs lack fields it reads (such as "
        "HTTPRoute timeouts and mirror percentages): upgrade the "
        "cluster's CRDs to v1.5 or later, or let the stack install them "
        "(`install_crds: true`)"
    ],
    "a Gateway API version that is recent enough": [],
    "a CRDs file without installing the CRDs": [
        "cp.gateway_api.crds_file: is read only with `install_crds: true`; set it, or drop this key"
    ],
    "an empty CRDs file": ["cp.gateway_api.crds_file: allowed: a URL or a file path"],
    "a CRDs file with a control character": ["cp.gateway_api.crds_file: allowed: a URL or a file path"],
    "revisions, tags and a gateway revision under ambient": [
        "cp.tags: not with `data_plane: ambient`: ztunnel "
        "and the CNI agent serve every revision at once, "
        "so a revision canary does not move the data "
        "plane; upgrade ambient in place (`version`)",
        "cp.revision: not with `data_plane: ambient`: "
        "ztunnel and the CNI agent serve every revision at "
        "once, so a revision canary does not move the data "
        "plane; upgrade ambient in place (`version`)",
        "cp.gateway.revision: not with `data_plane: ambient` (no revisions)",
    ],
    "revisions under ambient": [
        "cp.revisions: not with `data_plane: ambient`: ztunnel and the CNI agent serve "
        "every revision at once, so a revision canary does not move the data plane; "
        "upgrade ambient in place (`version`)"
    ],
    "ambient charts' values without ambient": [
        "cp.cni_values: only with `data_plane: ambient`, which installs that chart",
        "cp.ztunnel_values: only with `data_plane: ambient`, which installs that chart",
    ],
    "a gateway in the control plane's namespace with bad hosts": [
        "cp.gateway.namespace: must differ from the control plane's namespace",
        "cp.gateway.replicas: 101 is out of range; allowed: 1 to 100",
        "cp.gateway.hosts[1]: 'Bad' is not a host "
        "name: lower-case DNS labels joined by '.', "
        "optionally starting with '*.'",
        "cp.gateway.hosts: lists a host twice",
        "cp.gateway.tls_credential_name: 'Cert' is "
        "not a Secret name: 1 to 63 lower-case "
        "letters, digits and '-', starting and ending "
        "with a letter or digit",
    ],
    "a gateway in a reserved namespace without hosts": [
        "cp.gateway.namespace: 'kube-public' belongs to the "
        "cluster; not allowed here: kube-node-lease, "
        "kube-public, kube-system",
        "cp.gateway.replicas: 0 is out of range; allowed: 1 to 100",
        "cp.gateway.hosts: needs at least one host; allowed: host names, '*' or '*.<domain>'",
    ],
    "a gateway whose namespace is not a DNS label": [
        "cp.gateway.namespace: 'Gw' is not a namespace name: 1 to "
        "63 lower-case letters, digits and '-', starting and "
        "ending with a letter or digit"
    ],
    "a gateway in the default control plane namespace": [
        "cp.gateway.namespace: must differ from the control plane's namespace"
    ],
    "a gateway without revision beside revisions": [
        "cp.gateway.revision: required with `revisions`: the revision tag whose istiod injects the gateway pods"
    ],
    "a gateway selecting an undeclared tag": [
        "cp.gateway.revision: 'prd' is no declared revision tag or "
        "revision (did you mean 'prod'?); allowed: prod, stable, canary"
    ],
    "a gateway selecting the default revision beside revisions": [
        "cp.gateway.revision: '' is no revision: with `revisions`, name a tag; allowed: stable"
    ],
    "a gateway selecting a revision without revisions": [],
    "a gateway selecting a revision when none is declared": [
        "cp.gateway.revision: 'canary' is no declared revision tag or revision; allowed: none declared"
    ],
    "empty revisions beside a revision": [
        "cp.revisions: needs at least one revision; leave it out for a single istiod",
        "cp.revision: set `revision` or `revisions`, not both; with "
        "`revisions` namespaces and the gateway select a tag",
    ],
    "revisions named twice, badly, with bad versions": [
        "cp.revisions[1].name: 'a' is declared twice",
        "cp.revisions[1].version: '1.30' is not a chart version; allowed: such as \"1.30.5\"",
        "cp.revisions[2].name: 'B' is not a revision: 1 to 63 "
        "lower-case letters, digits and '-', starting and "
        "ending with a letter or digit",
    ],
    "a revision newer than base": [
        "cp.version: base 1.29.3 is older than istiod revision 'new' (1.30.5): base "
        "carries the CRDs every revision needs and is upgraded first; raise "
        "`version` to the newest revision's"
    ],
    "revisions two minors apart": [
        "cp.revisions[0].version: 1.28.1 is more than one minor version from "
        "revision 'new' (1.30.5): Istio upgrades skip at most one minor version; "
        "upgrade through the versions between"
    ],
    "revisions one minor apart": [],
    "revisions of another major": [
        "cp.revisions[0].version: 1.30.1 is more than one minor version from "
        "revision 'new' (2.0.0): Istio upgrades skip at most one minor version; "
        "upgrade through the versions between"
    ],
    "a base version that is not a chart version": [
        "cp.version: 'latest' is not a chart version; allowed: such as \"1.30.5\""
    ],
    "tags that point nowhere, at themselves or are not DNS labels": [
        "cp.tags.prod: points at revision "
        "'stabel', which is not declared (did you "
        "mean 'stable'?); allowed: stable, canary",
        "cp.tags.canary: a tag cannot have its revision's name",
        "cp.tags.Beta: 'Beta' is not a tag name (a "
        "DNS label): 1 to 63 lower-case letters, "
        "digits and '-', starting and ending with "
        "a letter or digit",
    ],
    "tags without revisions": [
        "cp.tags.prod: points at revision 'stable', which is not declared; allowed: none "
        "declared: set `revisions` or `revision`"
    ],
    "a tag on a single revision": [],
}


@pytest.mark.parametrize("case", CORPUS)
def test_each_control_plane_argument_is_reported_with_its_message_at_its_key_path(case):
    assert [str(p) for p in control_plane_problems(CORPUS[case], "cp")] == EXPECTED[case]


def test_the_oldest_gateway_api_release_accepted_is_the_minimum_minor_whatever_its_patch():
    assert control_plane_problems({"gateway_api": {"version": "v1.5.0"}}, "cp") == []
    [problem] = control_plane_problems({"gateway_api": {"version": "v1.4.9"}}, "cp")
    assert problem.path == "cp.gateway_api.version"
    # Without `version`, the message names the Istio version the stack gets by default.
    assert problem.message.startswith(
        f"Istio {defaults.CONTROL_PLANE.version} is built against Gateway API {defaults.GATEWAY_API.version}; v1.4.9's CRDs "
    )


@pytest.mark.parametrize(
    "repository", ["https://charts.example/istio", "http://charts.local", "oci://registry.example/istio"]
)
def test_an_https_http_or_oci_repository_is_accepted(repository):
    assert control_plane_problems({"repository": repository}, "cp") == []


def test_any_sampling_above_zero_needs_a_tracing_provider():
    assert [p.path for p in control_plane_problems({"tracing_sampling_percent": 1}, "cp")] == [
        "cp.tracing_sampling_percent"
    ]
    assert control_plane_problems({"tracing_sampling_percent": 0}, "cp") == []


def test_autoscaling_istiod_to_one_replica_is_fine_with_the_default_replicas():
    assert control_plane_problems({"istiod": {"autoscale_max": 1}}, "cp") == []


def test_every_problem_of_the_control_plane_is_kept():
    args = {
        "version": "1.30",
        "revision": "Canary",
        "tracing_sampling_percent": 101,
        "tracing": {"provider": "zipkin", "service": "z"},
    }
    assert [p.path for p in control_plane_problems(args, "cp")] == [
        "cp.version",
        "cp.revision",
        "cp.tracing_sampling_percent",
    ]


def test_revisions_are_compared_with_the_newest_whatever_their_order():
    args = {"version": "1.30.5", "revisions": [{"name": "new"}, {"name": "old", "version": "1.28.1"}]}
    assert [str(p) for p in control_plane_problems(args, "cp")] == [
        "cp.revisions[1].version: 1.28.1 is more than one minor version from revision 'new' (1.30.5): Istio upgrades "
        "skip at most one minor version; upgrade through the versions between"
    ]

"""The Istio and Kiali codes `check` decides offline: each with a broken fixture it catches and a
clean one it passes, on the dev stack plus a small workload of its own (namespace `lab`)."""

import copy
from typing import Any

import pytest

from mesh.analysis import INFO, Inventory, check
from mesh.analysis.pods import injected, pods
from tests.test_golden import matches_golden_entry

NS = "lab"
HOST = f"lab.{NS}.svc.cluster.local"


def namespace(name: str = NS, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def deployment(name: str = "lab-v1", version: str = "v1", ns: str = NS, **pod_spec: Any) -> dict[str, Any]:
    labels = {"app": "lab", "version": version}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": dict(labels), "annotations": {}},
                "spec": {
                    "serviceAccountName": "lab",
                    "containers": [
                        {"name": "lab", "image": "r/lab:1", "ports": [{"containerPort": 8080, "name": "http"}]}
                    ],
                    **pod_spec,
                },
            },
        },
    }


def service(svc: str = "lab", ns: str = NS, **port: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": svc, "namespace": ns},
        "spec": {"selector": {"app": "lab"}, "ports": [{"name": "http", "port": 8080, "targetPort": 8080, **port}]},
    }


def istio(kind: str, name: str, spec: dict[str, Any], group: str = "networking", ns: str = NS) -> dict[str, Any]:
    return {
        "apiVersion": f"{group}.istio.io/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def destination_rule(name: str = "lab", subsets: Any = None, host: str = HOST) -> dict[str, Any]:
    subsets = [{"name": "v1", "labels": {"version": "v1"}}] if subsets is None else subsets
    return istio("DestinationRule", name, {"host": host, "subsets": subsets})


def virtual_service(name: str, http: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return istio("VirtualService", name, {"hosts": spec.pop("hosts", [HOST]), "http": http, **spec})


def route(*destinations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"route": [{"destination": {"host": HOST, **d.pop("dest", {})}, **d} for d in destinations], **extra}


def lab() -> list[dict[str, Any]]:
    """A clean workload: namespace, Deployment, Service, default-deny, DestinationRule."""
    return [
        namespace(**{"istio-injection": "enabled"}),
        deployment(),
        service(),
        istio("AuthorizationPolicy", "allow-nothing", {"action": "ALLOW"}, group="security"),
        destination_rule(),
    ]


def codes(stacks: Any, manifests: list[dict[str, Any]], alpha: bool = False) -> set[str]:
    """Codes `check` finds on the dev stack with ``manifests`` added."""
    base = stacks["dev"]
    inventory = Inventory(list(base.resources) + Inventory.of_manifests(manifests).resources)
    found = check(inventory, declared=base.declared_calls, alpha_annotations=alpha)
    return {f.code for f in found if f.code not in ("MESH0002", "MESH0101", "MESH0102")}


def replaced(manifests: list[dict[str, Any]], kind: str, change: Any) -> list[dict[str, Any]]:
    out = copy.deepcopy(manifests)
    for m in out:
        if m["kind"] == kind:
            change(m)
            break
    return out


def template(manifests: list[dict[str, Any]], **annotations: str) -> list[dict[str, Any]]:
    return replaced(
        manifests, "Deployment", lambda d: d["spec"]["template"]["metadata"]["annotations"].update(annotations)
    )


def test_the_lab_workload_is_clean(stacks):
    assert codes(stacks, lab()) == set()


CASES: dict[str, tuple[Any, Any]] = {
    # code: (broken, clean), each a function of the clean lab's manifests.
    "IST0002": (
        lambda m: [*m, virtual_service("d", [route({}, fault={"delay": {"percent": 10, "fixedDelay": "1s"}})])],
        lambda m: [
            *m,
            virtual_service("d", [route({}, fault={"delay": {"percentage": {"value": 10}, "fixedDelay": "1s"}})]),
        ],
    ),
    "IST0102": (
        lambda m: [namespace(), *m[1:]],
        lambda m: [namespace(**{"istio.io/rev": "canary"}), *m[1:]],
    ),
    "IST0107": (
        lambda m: replaced(
            m, "Deployment", lambda d: d["metadata"].update(annotations={"sidecar.istio.io/proxyCPU": "50m"})
        ),
        lambda m: template(m, **{"sidecar.istio.io/proxyCPU": "50m"}),
    ),
    "IST0108": (
        lambda m: template(m, **{"sidecar.istio.io/proxyCPUs": "50m"}),
        lambda m: template(m, **{"sidecar.istio.io/proxyCPU": "50m", "example.com/istio": "x"}),
    ),
    "IST0110": (
        lambda m: [*m, *(istio("Sidecar", n, {"workloadSelector": {"labels": {"app": "lab"}}}) for n in "ab")],
        lambda m: [*m, istio("Sidecar", "a", {"workloadSelector": {"labels": {"app": "lab"}}})],
    ),
    "IST0111": (
        lambda m: [*m, *(istio("Sidecar", n, {"egress": [{"hosts": ["./*"]}]}) for n in "ab")],
        lambda m: [*m, istio("Sidecar", "a", {"egress": [{"hosts": ["./*"]}]})],
    ),
    "IST0116": (
        lambda m: [*m, service("lab-tcp", name="tcp-raw")],
        lambda m: [*m, service("lab-web", name="http-web")],
    ),
    "IST0125": (
        lambda m: template(m, **{"sidecar.istio.io/enableCoreDump": "yes", "status.sidecar.istio.io/port": "99999"}),
        lambda m: template(m, **{"sidecar.istio.io/enableCoreDump": "true", "status.sidecar.istio.io/port": "15020"}),
    ),
    "IST0127": (
        lambda m: [
            *m,
            istio("AuthorizationPolicy", "x", {"selector": {"matchLabels": {"app": "gone"}}}, group="security"),
        ],
        lambda m: [
            *m,
            istio("AuthorizationPolicy", "x", {"selector": {"matchLabels": {"app": "lab"}}}, group="security"),
        ],
    ),
    "IST0131": (
        lambda m: [
            *m,
            virtual_service(
                "v",
                [
                    route({}, match=[{"uri": {"prefix": "/a"}}]),
                    route({}, match=[{"uri": {"prefix": "/a"}}, {"uri": {"prefix": "/b"}}]),
                ],
            ),
        ],
        lambda m: [
            *m,
            virtual_service(
                "v",
                [
                    route({}, match=[{"uri": {"prefix": "/a"}}]),
                    route({}, match=[{"uri": {"prefix": "/b"}}]),
                ],
            ),
        ],
    ),
    "IST0135": (
        lambda m: template(m, **{"sidecar.istio.io/statsInclusionPrefixes": "cluster"}),
        # The deprecated inject annotation beside the label that replaces it: not reported (as in istioctl).
        lambda m: replaced(
            template(m, **{"sidecar.istio.io/inject": "true"}),
            "Deployment",
            lambda d: d["spec"]["template"]["metadata"]["labels"].update({"sidecar.istio.io/inject": "true"}),
        ),
    ),
    "IST0137": (
        lambda m: [*m, service("lab-alt", port=8081, name="http-alt")],
        lambda m: [*m, service("lab-alt", port=8080, name="http-alt")],
    ),
    "IST0140": (
        lambda m: [
            *m,
            virtual_service("lab", [route({"dest": {"subset": "v1"}})]),
            virtual_service("lab-in", [route({})], hosts=["lab.example.com"], gateways=["istio-ingress/istio-ingress"]),
        ],
        lambda m: [
            *m,
            virtual_service("lab", [route({"dest": {"subset": "v1"}})]),
            virtual_service(
                "lab-in",
                [route({"dest": {"subset": "v1"}})],
                hosts=["lab.example.com"],
                gateways=["istio-ingress/istio-ingress"],
            ),
        ],
    ),
    "IST0144": (
        lambda m: [m[0], deployment(securityContext={"runAsUser": 1337}), *m[2:]],
        lambda m: [m[0], deployment(securityContext={"runAsUser": 1000}), *m[2:]],
    ),
    "IST0167": (
        lambda m: [
            namespace(**{"istio.io/dataplane-mode": "ambient"}),
            *m[1:],
            istio("Sidecar", "s", {"workloadSelector": {"labels": {"app": "lab"}}}),
        ],
        lambda m: [*m, istio("Sidecar", "s", {"workloadSelector": {"labels": {"app": "lab"}}})],
    ),
    "IST0174": (
        lambda m: [*m[:-1], destination_rule(host="nowhere.lab.svc.cluster.local")],
        lambda m: m,
    ),
    "KIA0201": (
        lambda m: [*m, destination_rule("lab-2")],
        lambda m: [
            *m,
            destination_rule("lab-2", subsets=[{"name": "v2", "labels": {"version": "v2"}}]),
            deployment("lab-v2", "v2"),
        ],
    ),
    "KIA0209": (
        lambda m: [*m[:-1], destination_rule(subsets=[{"name": "v1", "labels": {"version": "v1"}}, {"name": "all"}])],
        lambda m: m,
    ),
    "KIA0701": (
        lambda m: [m[0], m[1], service(targetPort=9999), *m[3:]],
        lambda m: [m[0], m[1], service(targetPort="http"), *m[3:]],
    ),
    "KIA1104": (
        lambda m: [*m, virtual_service("w", [route({"weight": 50})])],
        lambda m: [*m, virtual_service("w", [route({"weight": 100})])],
    ),
    "KIA1105": (
        lambda m: [
            *m,
            virtual_service(
                "w", [route({"dest": {"subset": "v1"}, "weight": 50}, {"dest": {"subset": "v1"}, "weight": 50})]
            ),
        ],
        lambda m: [
            *m,
            deployment("lab-v2", "v2"),
            m[-1]
            | {
                "spec": {
                    "host": HOST,
                    "subsets": [
                        {"name": "v1", "labels": {"version": "v1"}},
                        {"name": "v2", "labels": {"version": "v2"}},
                    ],
                }
            },
            virtual_service(
                "w", [route({"dest": {"subset": "v1"}, "weight": 50}, {"dest": {"subset": "v2"}, "weight": 50})]
            ),
        ],
    ),
    "KIA1301": (
        lambda m: [x for x in m if x["kind"] != "AuthorizationPolicy"],
        lambda m: [
            *(x for x in m if x["kind"] != "AuthorizationPolicy"),
            istio("AuthorizationPolicy", "lab", {"selector": {"matchLabels": {"app": "lab"}}}, group="security"),
        ],
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_code_catches_its_broken_fixture_and_passes_its_clean_one(stacks, code):
    broken, clean = CASES[code]
    assert code in codes(stacks, broken(lab()))
    assert code not in codes(stacks, clean(lab()))


def test_a_route_whose_every_match_an_earlier_route_takes_is_ist0130(stacks):
    vs = virtual_service(
        "v", [route({}, match=[{"uri": {"prefix": "/a"}}]), route({}, match=[{"uri": {"prefix": "/a"}}])]
    )
    assert "IST0130" in codes(stacks, [*lab(), vs])


def test_selectors_that_select_no_pod_are_ist0101(stacks):
    gateway = istio(
        "Gateway",
        "gw",
        {
            "selector": {"istio": "egress"},
            "servers": [{"hosts": ["*"], "port": {"number": 80, "name": "http", "protocol": "HTTP"}}],
        },
    )
    sidecar = istio("Sidecar", "s", {"workloadSelector": {"labels": {"app": "ghost"}}})
    assert "IST0101" in codes(stacks, [*lab(), gateway])
    assert "IST0101" in codes(stacks, [*lab(), sidecar])
    base = stacks["dev"]
    for name, extra in (("gateway", gateway), ("sidecar", sidecar)):
        inventory = Inventory(list(base.resources) + Inventory.of_manifests([*lab(), extra]).resources)
        found = [f.as_dict() for f in check(inventory, declared=base.declared_calls) if f.code == "IST0101"]
        matches_golden_entry("findings-cases", f"IST0101 a_{name}_selector_that_selects_no_pod", found)
    # The ingress gateway's Pod comes from its Helm release: a Gateway that selects it is fine.
    gateway["spec"]["selector"] = {"istio": "ingress"}
    sidecar["spec"]["workloadSelector"]["labels"] = {"app": "lab"}
    assert "IST0101" not in codes(stacks, [*lab(), gateway, sidecar])


def test_alpha_annotations_are_ist0136_only_when_asked_for(stacks):
    # The real stacks set alpha proxy annotations (proxyCPU and the like) on every Pod.
    assert "IST0136" in codes(stacks, lab(), alpha=True)
    assert "IST0136" not in codes(stacks, lab())
    beta_only = [x for x in stacks["dev"].custom() if x.kind == "Deployment"]
    assert beta_only  # the dev stack has workloads to carry the annotations


def test_info_findings_never_count_as_errors_or_warnings(stacks):
    base = stacks["dev"]
    inventory = Inventory(list(base.resources) + Inventory.of_manifests([namespace(), *lab()[1:]]).resources)
    (info,) = [f for f in check(inventory) if f.code == "IST0102"]
    assert info.severity == INFO


def test_pods_come_from_templates_and_the_gateway_chart_with_istios_injection_rules(stacks):
    by_owner = {p.owner.name: p for p in pods(stacks["dev"])}
    review = by_owner["review-v1"]
    assert review.injected and review.service_account == "review" and review.labels["version"] == "v1"
    gateway = next(p for p in by_owner.values() if p.gateway)
    assert gateway.labels["istio"] == "ingress" and gateway.namespace == "istio-ingress"
    assert injected({"istio-injection": "enabled"}, {}, {})
    assert not injected({"istio-injection": "enabled"}, {"sidecar.istio.io/inject": "false"}, {})
    assert not injected({"istio-injection": "disabled"}, {"sidecar.istio.io/inject": "true"}, {})
    assert injected({}, {"sidecar.istio.io/inject": "true"}, {})
    assert injected({"istio.io/rev": "canary"}, {}, {})
    assert not injected({}, {}, {})


def test_uid_1337_on_a_container_is_ist0144_at_that_container(stacks):
    base = stacks["dev"]
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"runAsUser": 1337}
    inventory = Inventory(list(base.resources) + Inventory.of_manifests([lab()[0], d, *lab()[2:]]).resources)
    found = [f for f in check(inventory, declared=base.declared_calls) if f.code == "IST0144"]
    assert [(f.object, f.path, f.message) for f in found] == [
        (
            "Deployment/lab/lab-v1",
            "spec.template.spec.containers[0].securityContext.runAsUser",
            "User ID (UID) 1337 is reserved for the sidecar proxy",
        )
    ]


def test_short_hosts_resolve_in_their_namespace_when_a_gateway_route_bypasses_a_subset_split(stacks):
    split = virtual_service("lab", [route({"dest": {"host": "lab", "subset": "v1"}})], hosts=["lab"])
    ingress = virtual_service(
        "lab-ingress",
        [route({"dest": {"host": "lab"}})],
        hosts=["shop.example.com"],
        gateways=["istio-ingress/istio-ingress"],
    )
    base = stacks["dev"]
    inventory = Inventory(list(base.resources) + Inventory.of_manifests([*lab(), split, ingress]).resources)
    found = [f for f in check(inventory, declared=base.declared_calls) if f.code == "IST0140"]
    assert [(f.object, f.path) for f in found] == [
        ("VirtualService/lab/lab-ingress", "spec.http[0].route[0].destination")
    ]


def test_virtual_services_without_a_namespace_resolve_short_hosts_in_default(stacks):
    def unnamespaced(vs: dict[str, Any]) -> dict[str, Any]:
        return {**vs, "metadata": {"name": vs["metadata"]["name"]}}

    split = unnamespaced(virtual_service("lab", [route({"dest": {"host": "lab", "subset": "v1"}})], hosts=["lab"]))
    ingress = unnamespaced(
        virtual_service(
            "lab-ingress",
            [route({"dest": {"host": "lab"}})],
            hosts=["x.example.com"],
            gateways=["istio-ingress/istio-ingress"],
        )
    )
    found = [f for f in check(Inventory.of_manifests([split, ingress])) if f.code == "IST0140"]
    assert [f.object for f in found] == ["VirtualService/lab-ingress"]


def test_a_service_port_without_target_port_targets_its_own_number_in_ist0137(stacks):
    first = service()
    del first["spec"]["ports"][0]["targetPort"]  # so it targets 8080, its own number
    second = service("lab-admin", port=9090, targetPort=8080)
    manifests = [lab()[0], lab()[1], first, second, *lab()[3:]]
    base = stacks["dev"]
    inventory = Inventory(list(base.resources) + Inventory.of_manifests(manifests).resources)
    found = [f for f in check(inventory, declared=base.declared_calls) if f.code == "IST0137"]
    assert [f.message for f in found] == [
        "This deployment lab-v1 is associated with multiple services ['lab', 'lab-admin'] "
        "using targetPort '8080' but different ports: [8080, 9090]"
    ]

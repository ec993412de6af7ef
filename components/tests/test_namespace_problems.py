"""Golden snapshot: every problem users read for a corpus of MeshNamespace arguments, in order, at its key path."""

import pytest

from istio_mesh.validation import mesh_namespace_problems

CORPUS = {
    "a namespace name that is not a DNS label": {"namespace_name": "Shop"},
    "a reserved namespace name": {"namespace_name": "kube-node-lease"},
    "a revision that is not a DNS label": {"revision": "Canary"},
    "a bad namespace name and a bad revision": {"namespace_name": "Shop", "revision": "Canary"},
    "a revision under ambient": {"revision": "canary", "data_plane": "ambient"},
    "an empty revision under ambient": {"revision": "", "data_plane": "ambient"},
    "external hosts that are bad, twice, or on bad ports": {
        "external_hosts": [
            {"host": "api.example", "port": 0},
            {"host": "api.example", "port": 65536},
            {"host": "Bad", "port": 65535},
            {"host": "*.example", "port": 1},
        ]
    },
    "mesh labels set by hand": {
        "labels": {"istio-injection": "enabled", "istio.io/rev": "canary", "istio.io/dataplane-mode": "ambient"}
    },
    "label keys and values that Kubernetes refuses": {
        "labels": {
            "team": "-shop",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": "x",
            "Bad_Prefix/x": "y",
            "example.com/nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn": "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
            "example.com/ok": "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
            "example.com/empty": "",
            "-x": "y",
        }
    },
}

EXPECTED = {
    "a namespace name that is not a DNS label": [
        "ns.namespace_name: 'Shop' is not a namespace name: 1 to 63 "
        "lower-case letters, digits and '-', starting and ending with "
        "a letter or digit"
    ],
    "a reserved namespace name": [
        "ns.namespace_name: 'kube-node-lease' belongs to the cluster; not allowed "
        "here: kube-node-lease, kube-public, kube-system"
    ],
    "a revision that is not a DNS label": [
        "ns.revision: 'Canary' is not a revision: 1 to 63 lower-case "
        "letters, digits and '-', starting and ending with a letter or "
        "digit"
    ],
    "a bad namespace name and a bad revision": [
        "ns.namespace_name: 'Shop' is not a namespace name: 1 to 63 "
        "lower-case letters, digits and '-', starting and ending with a "
        "letter or digit",
        "ns.revision: 'Canary' is not a revision: 1 to 63 lower-case "
        "letters, digits and '-', starting and ending with a letter or "
        "digit",
    ],
    "a revision under ambient": ["ns.revision: not with `data_plane: ambient`: pods get no sidecar to inject"],
    "an empty revision under ambient": [],
    "external hosts that are bad, twice, or on bad ports": [
        "ns.external_hosts[0].port: 0 is out of range; allowed: 1 to 65535",
        "ns.external_hosts[1].host: 'api.example' is declared twice",
        "ns.external_hosts[1].port: 65536 is out of range; allowed: 1 to 65535",
        "ns.external_hosts[2].host: 'Bad' is not a host "
        "name: lower-case DNS labels joined by '.', "
        "optionally starting with '*.'",
    ],
    "mesh labels set by hand": [
        "ns.labels.istio-injection: mesh labels come from `revision` and `data_plane`; set those instead",
        "ns.labels['istio.io/rev']: mesh labels come from `revision` and `data_plane`; set those instead",
        "ns.labels['istio.io/dataplane-mode']: mesh labels come from `revision` and `data_plane`; set those instead",
    ],
    "label keys and values that Kubernetes refuses": [
        "ns.labels.team: '-shop' is not a label value: at most 63 "
        "of a-z, A-Z, 0-9, '-', '_', '.', alphanumeric at both "
        "ends",
        "ns.labels.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: "
        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
        "is not a label key: [prefix/]name, the name at most 63 "
        "of a-z, A-Z, 0-9, '-', '_', '.'",
        "ns.labels['Bad_Prefix/x']: 'Bad_Prefix/x' is not a label "
        "key: [prefix/]name, the name at most 63 of a-z, A-Z, "
        "0-9, '-', '_', '.'",
        "ns.labels['example.com/ok']: "
        "'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv' "
        "is not a label value: at most 63 of a-z, A-Z, 0-9, '-', "
        "'_', '.', alphanumeric at both ends",
        "ns.labels['-x']: '-x' is not a label key: [prefix/]name, the name at most 63 of a-z, A-Z, 0-9, '-', '_', '.'",
    ],
}


@pytest.mark.parametrize("case", CORPUS)
def test_each_namespace_argument_is_reported_with_its_message_at_its_key_path(case):
    assert [str(p) for p in mesh_namespace_problems(CORPUS[case], "ns")] == EXPECTED[case]


def test_the_component_name_is_checked_as_the_namespace_unless_namespace_name_is_set():
    assert [str(p) for p in mesh_namespace_problems({}, "ns", "kube-system")] == [
        "ns (the component's name): 'kube-system' belongs to the cluster; not allowed here: kube-node-lease, "
        "kube-public, kube-system"
    ]
    assert [str(p) for p in mesh_namespace_problems({}, "ns", "Shop")] == [
        "ns (the component's name): 'Shop' is not a namespace name: 1 to 63 lower-case letters, digits and '-', "
        "starting and ending with a letter or digit"
    ]
    assert mesh_namespace_problems({"namespace_name": "shop"}, "ns", "Shop") == []
    assert mesh_namespace_problems({}, "ns") == []


def test_a_shape_problem_stops_before_the_checks_of_meaning():
    assert [str(p) for p in mesh_namespace_problems({"labels": 3, "revision": "Canary"}, "ns")] == [
        "ns.labels: expected a map of text, got 3"
    ]

"""Canary upgrades through revisions and tags, in config, plan and validation."""

import copy
from pathlib import Path

import pytest
import yaml

from istio_mesh import defaults
from istio_mesh.control_plane_spec import control_plane_spec
from istio_mesh.releases import ADVISORIES, KNOWN_RELEASES, advisories_for, version_key
from istio_mesh.service_spec import mesh_service_spec
from istio_mesh.validation import control_plane_problems
from mesh.config import ConfigError, load
from mesh.environment import plan_environment
from mesh.offline import PROJECT_DIR

CANARY = PROJECT_DIR / "examples" / "stacks" / "canary-upgrade.yaml"


def canary_values():
    raw = yaml.safe_load(Path(CANARY).read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in raw.items()}


def problems_of(values):
    with pytest.raises(ConfigError) as err:
        load(values)
    return {p.path: p.message for p in err.value.problems}


def cp_problems(args):
    return {p.path: p.message for p in control_plane_problems(args, "args")}


def test_the_default_is_the_newest_known_release_and_has_no_known_advisory():
    assert defaults.CONTROL_PLANE.version == KNOWN_RELEASES[-1].version == "1.30.5"
    assert advisories_for(defaults.CONTROL_PLANE.version) == []
    assert [a.id for a in advisories_for("1.30.3")] == ["ISTIO-1.30.4-SECURITY"]
    assert advisories_for("1.30.4") == []
    assert advisories_for("1.29.9") == []  # another minor: not judged here


def test_the_known_releases_are_in_order_and_every_advisory_names_a_known_release():
    versions = [version_key(r.version) for r in KNOWN_RELEASES]
    assert versions == sorted(versions)
    assert {a.fixed_in for a in ADVISORIES} <= {r.version for r in KNOWN_RELEASES}
    assert not any("CVE-" in a.summary for a in ADVISORIES)


def test_each_revision_is_its_own_istiod_release_upgraded_in_list_order_after_base():
    spec = control_plane_spec(canary_values()["istio"])
    assert [(r.key, r.version, r.after) for r in spec.releases] == [
        ("base", "1.30.5", ()),
        ("istiod-1-30-3", "1.30.3", ("base",)),
        ("istiod-1-30-5", "1.30.5", ("istiod-1-30-3",)),
        ("gateway", "1.30.5", ("istiod-1-30-3", "istiod-1-30-5")),
    ]
    values = {r.key: r.values for r in spec.releases}
    assert values["istiod-1-30-3"]["revision"] == "1-30-3" and values["istiod-1-30-3"]["revisionTags"] == ["stable"]
    assert values["istiod-1-30-5"]["revisionTags"] == ["canary"]
    assert values["base"]["defaultRevision"] == "1-30-3"
    assert values["gateway"]["revision"] == "stable"


def test_namespaces_select_their_tag_and_their_pods_carry_what_it_points_at():
    plan = plan_environment(load(canary_values()))
    assert plan.namespace_args["shop"]["revision"] == "stable"
    assert plan.namespace_args["shop-canary"]["revision"] == "canary"
    assert plan.service_args["product"]["injected_by"] == "1-30-3/1.30.3"
    assert plan.service_args["review"]["injected_by"] == "1-30-5/1.30.5"
    deployment = mesh_service_spec("review", plan.service_args["review"]).workloads[1]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations[defaults.INJECTED_BY_ANNOTATION] == "1-30-5/1.30.5"


def test_moving_a_tag_changes_the_pod_template_of_exactly_the_namespaces_on_it():
    before = plan_environment(load(canary_values()))
    moved = canary_values()
    moved["istio"]["tags"]["stable"] = "1-30-5"
    after = plan_environment(load(moved))
    changed = {name for name in before.service_args if before.service_args[name] != after.service_args[name]}
    assert changed == {"product", "rating"}  # shop is on `stable`; review (shop-canary) stays
    assert after.service_args["product"]["injected_by"] == "1-30-5/1.30.5"
    assert before.namespaces == after.namespaces  # the namespace keeps its tag label


def test_an_in_place_upgrade_restarts_workloads_through_the_same_annotation():
    values = canary_values()
    del values["istio"]["revisions"], values["istio"]["tags"], values["namespace_revisions"]
    del values["istio"]["gateway"]["revision"]
    old = plan_environment(load({**values, "istio": {**values["istio"], "version": "1.30.4"}}))
    new = plan_environment(load(values))
    assert old.service_args["product"]["injected_by"] == "default/1.30.4"
    assert new.service_args["product"]["injected_by"] == "default/1.30.5"


def test_removing_the_old_revision_is_a_separate_step_that_validates_once_nothing_uses_it():
    values = canary_values()
    values["istio"]["revisions"] = values["istio"]["revisions"][1:]
    found = problems_of(values)
    assert "points at revision '1-30-3', which is not declared" in found["service-mesh:istio.tags.stable"]
    values["istio"]["tags"] = {"stable": "1-30-5", "canary": "1-30-5"}
    spec = control_plane_spec(load(values).istio)
    assert [r.key for r in spec.releases] == ["base", "istiod-1-30-5", "gateway"]
    assert spec.releases[0].values["defaultRevision"] == "1-30-5"


def test_a_tag_on_a_missing_revision_a_minor_skip_and_an_old_base_are_refused_at_their_keys():
    found = cp_problems(
        {
            "version": "1.29.2",
            "revisions": [{"name": "old", "version": "1.28.4"}, {"name": "new", "version": "1.30.5"}],
            "tags": {"stable": "olde", "canary": "new"},
        }
    )
    assert "did you mean 'old'" in found["args.tags.stable"]
    assert "more than one minor version" in found["args.revisions[0].version"]
    assert "args.revisions[1].version" not in found
    assert "older than istiod revision 'new' (1.30.5)" in found["args.version"]
    assert "args.tags.canary" not in found


def test_one_minor_apart_is_allowed_and_revision_with_revisions_is_refused():
    assert cp_problems({"version": "1.31.0", "revisions": [{"name": "a", "version": "1.30.5"}, {"name": "b"}]}) == {}
    found = cp_problems({"revision": "x", "revisions": [{"name": "a"}, {"name": "a"}], "gateway": {}})
    assert set(found) == {"args.revision", "args.revisions[1].name", "args.gateway.revision"}


def test_with_revisions_every_app_namespace_and_the_gateway_must_select_a_declared_tag():
    values = canary_values()
    del values["namespace_revisions"]["shop-canary"]
    values["namespace_revisions"]["shop"] = "stabel"
    values["namespace_revisions"]["shop-dev"] = "stable"
    values["istio"]["gateway"]["revision"] = "nightly"
    found = problems_of(values)
    assert set(found) == {
        "service-mesh:namespace_revisions.shop-canary",
        "service-mesh:namespace_revisions.shop",
        "service-mesh:namespace_revisions.shop-dev",
        "service-mesh:istio.gateway.revision",
    }
    assert "did you mean 'stable'" in found["service-mesh:namespace_revisions.shop"]
    assert "no app namespace" in found["service-mesh:namespace_revisions.shop-dev"]


def test_a_namespace_may_select_a_tag_of_the_single_in_place_istiod_too():
    values = canary_values()
    del values["istio"]["revisions"], values["istio"]["gateway"]["revision"]
    values["istio"]["revision"] = "1-30-5"
    values["istio"]["tags"] = {"stable": "1-30-5"}
    values["namespace_revisions"] = {"shop": "stable"}
    plan = plan_environment(load(values))
    assert plan.namespace_args["shop"]["revision"] == "stable"
    assert plan.namespace_args["shop-canary"]["revision"] == "1-30-5"
    istiod = next(r for r in control_plane_spec(load(values).istio).releases if r.key == "istiod")
    assert istiod.values["revisionTags"] == ["stable"]


def test_every_problem_is_reported_at_once_without_a_traceback():
    values = canary_values()
    values["istio"]["revisions"][1]["version"] = "one.thirty"
    values["services"][0]["ports"][0]["port"] = 0
    with pytest.raises(ConfigError) as err:
        load(copy.deepcopy(values))
    paths = {p.path for p in err.value.problems}
    assert {"service-mesh:istio.revisions[1].version", "service-mesh:services[0].ports[0].port"} <= paths
    assert "Traceback" not in str(err.value)

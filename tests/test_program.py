"""`__main__.py` as the CLI runs it: config in, resources and exports out; bad config stops cleanly."""

import gc
import json
import runpy

import pulumi
import pytest

from mesh.offline import PROJECT_DIR, run, stack_config
from mesh.program import main


def test_the_entry_point_builds_the_dev_stack_and_exports_its_outputs():
    result = run(lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py")) and {}, stack_config("dev"), "dev")
    assert len(result.find("Deployment")) == 3
    assert result.outputs["services"]["product"] == "product.shop-dev.svc.cluster.local:8080"
    assert result.outputs["istio_version"] == "1.30.5" and result.outputs["istio_status"] == "deployed"
    assert result.outputs["namespaces"] == ["shop-dev"]


def test_exports_of_one_run_do_not_leak_into_the_next():
    run(lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py")) and {}, stack_config("dev"), "dev")
    assert run(lambda: {}, {}, "empty").outputs == {}


def test_bad_config_stops_the_program_with_every_problem_and_no_traceback():
    config = {**stack_config("dev"), "service-mesh:namespace": "Bad Name", "service-mesh:replicas": "3"}
    with pytest.raises(pulumi.RunError) as err:
        run(lambda: main() or {}, config, "dev")
    message = str(err.value)
    assert "service-mesh:namespace" in message and "service-mesh:replicas" in message
    assert message.startswith("2 problems in the stack config")


def two_entries_on_one_host():
    """A valid config whose mesh is not: two entry services claim the same gateway host."""
    config = stack_config("dev")
    services = json.loads(config["service-mesh:services"])
    services[1]["entry"] = True
    config["service-mesh:services"] = json.dumps(services)
    config["service-mesh:istio"] = json.dumps(
        {**json.loads(config["service-mesh:istio"]), "gateway": {"hosts": ["shop.example.com"]}}
    )
    return config


def test_the_mesh_analysis_stops_the_program_before_anything_is_registered():
    with pytest.raises(pulumi.RunError, match="IST0109") as err:
        run(lambda: main() or {}, two_entries_on_one_host(), "dev")
    assert "shop.example.com" in str(err.value)
    assert "error" in str(err.value).lower()


def test_the_analysis_registers_nothing_when_it_fails():
    from mesh.program import AnalysisError, build, read_config

    recorded = []

    def program():
        with pytest.raises(AnalysisError):
            build(read_config())
        return {}

    recorded = run(program, two_entries_on_one_host(), "dev").registrations
    assert recorded == []


def test_analysis_warnings_go_to_pulumis_log(monkeypatch):
    from mesh import program as prog
    from mesh.analysis import Finding

    warned = []
    monkeypatch.setattr(prog.pulumi.log, "warn", lambda msg, *a, **k: warned.append(msg))
    monkeypatch.setattr(prog, "preflight", lambda *a: [Finding("IST0118", "warning", "Service/x/y", "spec", "m", "f")])
    run(lambda: prog.build(prog.read_config()), stack_config("dev"), "dev")
    assert warned and "IST0118" in warned[0]


def test_the_entry_point_switches_off_the_automatic_collector_and_leaves_its_thresholds():
    thresholds = gc.get_threshold()
    assert gc.isenabled()
    run(lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py")) and {}, stack_config("dev"), "dev")
    assert not gc.isenabled()
    assert gc.get_threshold() == thresholds

"""`__main__.py` as the CLI runs it: config in, resources and exports out; bad config stops cleanly."""

import runpy

import pulumi
import pytest

from mesh.offline import PROJECT_DIR, run, stack_config
from mesh.program import main


def test_the_entry_point_builds_the_dev_stack_and_exports_its_outputs():
    result = run(lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py")) and {}, stack_config("dev"), "dev")
    assert len(result.find("Deployment")) == 3
    assert result.outputs["services"]["product"] == "product.shop-dev.svc.cluster.local:8080"
    assert result.outputs["istio_version"] == "1.30.3" and result.outputs["istio_status"] == "deployed"
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

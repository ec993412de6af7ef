"""`__main__.py` as the CLI runs it: config in, resources and exports out; bad config stops cleanly."""

import runpy

import pulumi
import pytest

from mesh.offline import PROJECT_DIR, run, stack_config
from mesh.program import main


def test_the_entry_point_builds_the_dev_stack_and_exports_its_outputs():
    config = stack_config("dev")
    result = run(lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py")) and {}, config, "dev")
    assert len(result.find("Deployment")) == 3
    stack_outputs = None
    # pulumi.export records on the root stack; the program's own return is the same map.
    from mesh.program import build, read_config

    stack_outputs = run(lambda: build(read_config()), config, "dev").outputs
    assert stack_outputs["services"]["product"] == "product.shop-dev.svc.cluster.local:8080"
    assert stack_outputs["istio_version"] == "1.30.3" and stack_outputs["istio_status"] == "deployed"


def test_bad_config_stops_the_program_with_every_problem_and_no_traceback():
    config = {**stack_config("dev"), "service-mesh:namespace": "Bad Name", "service-mesh:replicas": "3"}
    with pytest.raises(pulumi.RunError) as err:
        run(lambda: main() or {}, config, "dev")
    message = str(err.value)
    assert "service-mesh:namespace" in message and "service-mesh:replicas" in message
    assert message.startswith("2 problems in the stack config")

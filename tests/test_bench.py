"""The benchmark's synthetic stack: as rich per service as the real stacks, and as clean."""

import importlib.util
from collections import Counter

import pytest

from mesh.analysis import check
from mesh.config import load
from mesh.environment import plan_environment
from mesh.offline import PROJECT, PROJECT_DIR, stack_config

spec = importlib.util.spec_from_file_location("bench", PROJECT_DIR / "benchmarks" / "bench.py")
assert spec and spec.loader
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def service_kinds(cli_config: dict[str, str]) -> set[str]:
    """The kinds of object a stack's MeshServices register, from its config as the CLI passes it."""
    raw = {key.split(":", 1)[1]: text for key, text in cli_config.items() if key.startswith(f"{PROJECT}:")}
    kinds = set()
    for service in plan_environment(load(raw)).services.values():
        kinds |= {m["kind"] for m in (*service.workloads, *service.istio)}
    return kinds


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_kind_a_real_stack_registers_for_its_services_is_in_the_synthetic_stack(stack):
    assert service_kinds(stack_config(stack)) <= service_kinds(bench.cli_config(3))


def test_the_synthetic_stack_checks_clean():
    small = bench.synthetic_run(3)
    assert [f for f in check(small, declared=small.declared_calls) if f.code != "MESH0002"] == []


def test_one_more_service_is_twelve_more_objects():
    def types(n: int) -> Counter[str]:
        return Counter(r.type.rsplit(":", 1)[1] for r in bench.synthetic_run(n).custom())

    # Per version a Deployment, a disruption budget and an autoscaler; one of each other kind.
    assert types(4) - types(3) == Counter(
        Deployment=2,
        PodDisruptionBudget=2,
        HorizontalPodAutoscaler=2,
        ServiceAccount=1,
        Service=1,
        DestinationRule=1,
        VirtualService=1,
        Sidecar=1,
        AuthorizationPolicy=1,
    )


def test_the_bench_runs_check_and_render_end_to_end_on_a_stack_file_of_the_synthetic_stack():
    checked = bench.cli_seconds("check", 3)
    assert checked["objects"] == len(bench.synthetic_run(3).custom()) and checked["seconds"] > 0
    assert bench.cli_seconds("render", 3)["seconds"] > 0

"""What the program costs as the mesh grows, against plain pulumi_kubernetes calls.

For N services (two versions each, a 90/10 route, a call to the next service,
default-deny, Sidecars, an ingress gateway), one measurement runs the whole
program under Pulumi's mock runtime in a fresh process: config validation,
assembly, the in-program analysis and every registration. The baseline registers
the same Kubernetes objects and Helm releases with plain `pulumi_kubernetes` calls
(no components, no validation) under the same mocks. Program and baseline run
alternately, so that drift on the machine hits both alike.

    python benchmarks/bench.py                 # N = 10, 100, 1000, 5 pairs each
    python benchmarks/bench.py --sizes 10 --repeats 1
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic_config(n: int) -> dict[str, Any]:
    """A stack config of ``n`` services, as decoded values keyed without the prefix."""
    services = []
    for i in range(n):
        svc: dict[str, Any] = {
            "name": f"svc-{i}",
            "ports": [{"port": 8080}],
            "health_path": "/health",
            "versions": [
                {"name": "v1", "image": f"registry.example/svc-{i}:1.0.0"},
                {"name": "v2", "image": f"registry.example/svc-{i}:1.1.0"},
            ],
            "routes": [{"destinations": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10}]}],
            "traffic_policy": {"outlier_detection": {"consecutive_5xx_errors": 5}},
        }
        if i + 1 < n:
            svc["calls"] = [{"service": f"svc-{i + 1}", "methods": ["GET"]}]
        if i == 0:
            svc["entry"] = True
        services.append(svc)
    return {
        "istio": {"gateway": {"service_type": "NodePort"}, "mtls_mode": "STRICT"},
        "namespace": "bench",
        "services": services,
    }


def cli_config(n: int) -> dict[str, str]:
    """The same config as the CLI passes it: full keys, JSON text."""
    return {f"service-mesh:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in synthetic_config(n).items()}


def _run_under_mocks(program: Any, config: dict[str, str]) -> int:
    """Run ``program`` under the same mocks as ``render``; return how many Kubernetes objects and
    Helm releases it registered (components aside)."""
    import pulumi

    from mesh.offline import PROJECT, MeshMocks

    class Counting(MeshMocks):
        created = 0

        def new_resource(self, args: Any) -> Any:
            Counting.created += bool(args.custom)
            return super().new_resource(args)

    pulumi.runtime.settings.reset_options(project=PROJECT, stack="bench", preview=False)
    pulumi.runtime.set_all_config(config, [])
    pulumi.runtime.set_mocks(Counting(), project=PROJECT, stack="bench", preview=False)
    pulumi.runtime.test(program)()
    return Counting.created


def manifests_for(n: int) -> list[tuple[str, dict[str, Any]]]:
    """(Pulumi type, inputs) of every resource the program registers for ``n`` services."""
    from mesh.offline import run
    from mesh.program import build, read_config

    recorded = run(lambda: build(read_config()), cli_config(n), "bench")
    return [(r.type, r.inputs) for r in recorded.custom()]


def measure(kind: str, n: int, objects_file: str, collector: str = "program") -> dict[str, float]:
    """One measurement in this process (called in a fresh child)."""
    import pulumi
    import pulumi_kubernetes as k8s

    from istio_mesh._register import register
    from mesh.program import build, read_config, tune_collector

    # The process settings of `pulumi up` and `python -m mesh`, for both kinds alike.
    if collector == "program":
        tune_collector()
    config = cli_config(n)
    objects = json.loads(Path(objects_file).read_text()) if kind == "baseline" else []

    def program() -> None:
        build(read_config())

    def baseline() -> None:
        for i, (typ, inputs) in enumerate(objects):
            if typ == "kubernetes:helm.sh/v3:Release":
                fields = {k: v for k, v in inputs.items() if k not in ("compat", "repositoryOpts")}
                k8s.helm.v3.Release(f"r{i}", repository_opts=inputs.get("repositoryOpts"), **fields)
            else:
                register(f"o{i}", inputs, pulumi.ResourceOptions())

    start = time.perf_counter()
    count = _run_under_mocks(program if kind == "program" else baseline, config)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "objects": count}


def child(kind: str, n: int, objects_file: Path, collector: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--collector", collector, "--child", kind, str(n), str(objects_file)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def render_seconds() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mesh", "render", "dev", "--out", "/tmp/bench-render"],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--collector",
        choices=["program", "default"],
        default="program",
        help="the program's garbage-collector setting (default) or Python's own, for both kinds",
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "N", "OBJECTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.child[2], args.collector)))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="mesh-bench-"))
    rows = []
    times: dict[int, float] = {}
    base_times: dict[int, float] = {}
    for n in args.sizes:
        # What the program registers, recorded once, is what the baseline registers by hand.
        objects_file = workdir / f"objects-{n}.json"
        objects_file.write_text(json.dumps(manifests_for(n)))
        ours, base = [], []
        for _ in range(args.repeats):
            ours.append(child("program", n, objects_file, args.collector))
            base.append(child("baseline", n, objects_file, args.collector))
        seconds = statistics.median(r["seconds"] for r in ours)
        base_seconds = statistics.median(r["seconds"] for r in base)
        objects = int(ours[0]["objects"])
        times[n] = seconds
        base_times[n] = base_seconds
        rows.append(
            (
                n,
                objects,
                seconds,
                1000 * seconds / objects,
                max(r["peak_mb"] for r in ours),
                seconds / base_seconds,
                base_seconds,
                max(r["peak_mb"] for r in base),
            )
        )
    print(
        "| N | objects | seconds | ms per object | peak MB | ratio to baseline | baseline seconds | baseline peak MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, objects, seconds, per, peak, ratio, bs, bpeak in rows:
        print(f"| {n} | {objects} | {seconds:.2f} | {per:.2f} | {peak:.0f} | {ratio:.2f} | {bs:.2f} | {bpeak:.0f} |")
    if 100 in times and 1000 in times:
        base_growth = base_times[1000] / base_times[100]
        print(f"\ntime(1000) / time(100) = {times[1000] / times[100]:.1f} (target <= 11); baseline: {base_growth:.1f}")
    print(f"`python -m mesh render dev`, end to end: {render_seconds():.2f} s (target < 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

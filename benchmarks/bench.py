"""What the program costs as the mesh grows, against plain pulumi_kubernetes calls.

For N services, each measurement runs in a fresh process under Pulumi's mock
runtime, with the program's process settings. Each service has what the real
stacks give theirs: two versions of two replicas, each with a disruption budget
and an autoscaler; an A/B route and a 90/10 canary; retries, a timeout and
circuit breaking; a declared call to the next service under default-deny; a
Sidecar; and, for the first, the ingress gateway and a JWT (tests/test_bench.py
keeps it so). The runs:

- program: the whole program (config validation, assembly, the in-program
  analysis, every registration);
- baseline: the same Kubernetes objects and Helm releases with plain
  `pulumi_kubernetes` calls (no components, no validation);
- components: the same objects under the same empty components, parents and
  dependencies: Pulumi's cost of the structure, without this project's code;
- render: `python -m mesh render` on the same stack (a stack file of its own),
  end to end: the program under the recording mocks, the in-program analysis,
  and every object written as YAML;
- check: `python -m mesh check` on it, end to end: the program under the
  recording mocks and every check (schemas, ordering, Pods, routing, policies);
- own: this project's code alone, no Pulumi, beside a linear control.

Rounds run every size and kind in turn, the baseline beside each of the others
and the order reversed every other round, so that drift on the machine hits all
alike.

    python benchmarks/bench.py                 # N = 10, 100, 1000, 5 rounds
    python benchmarks/bench.py --sizes 100 1000 --repeats 3
    python benchmarks/bench.py --sizes 10 --repeats 1
"""

import argparse
import copy
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
            "replicas": 2,
            "autoscaling": {"max_replicas": 4},
            "resources": {"cpu_request": "100m", "memory_request": "128Mi", "memory_limit": "256Mi"},
            "versions": [
                {"name": "v1", "image": f"registry.example/svc-{i}:1.0.0"},
                {"name": "v2", "image": f"registry.example/svc-{i}:1.1.0"},
            ],
            # An A/B match, then a 90/10 canary for everyone else.
            "routes": [
                {
                    "name": "ab",
                    "match": [{"headers": {"end-user": {"exact": "jason"}}}],
                    "destinations": [{"version": "v2"}],
                },
                {"destinations": [{"version": "v1", "weight": 90}, {"version": "v2", "weight": 10}]},
            ],
            "retries": {"attempts": 2, "per_try_timeout": "2s"},
            "timeout": "6s",
            "traffic_policy": {
                "connection_pool": {"max_connections": 200},
                "outlier_detection": {"consecutive_5xx_errors": 5},
            },
        }
        if i + 1 < n:
            svc["calls"] = [{"service": f"svc-{i + 1}", "methods": ["GET"]}]
        if i == 0:
            svc["entry"] = True
            svc["jwt"] = {"issuer": "https://auth.example", "jwks_uri": "https://auth.example/jwks.json"}
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


def synthetic_run(n: int) -> Any:
    """The program's offline run (`mesh.offline.OfflineRun`) on the stack of ``n`` services."""
    from mesh.offline import run
    from mesh.program import build, read_config

    return run(lambda: build(read_config()), cli_config(n), "bench")


def recorded(n: int) -> list[dict[str, Any]]:
    """Every resource the program registers for ``n`` services, components included,
    in registration order: type, name, URN, parent, dependencies, inputs."""
    return [dataclasses.asdict(r) for r in synthetic_run(n).registrations]


def stack_project(n: int, folder: Path) -> Path:
    """A project folder with this project's Pulumi.yaml and a stack ``bench`` of ``n`` services."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    stack = {"config": {f"service-mesh:{k}": v for k, v in synthetic_config(n).items()}}
    (folder / "Pulumi.bench.yaml").write_text(yaml.safe_dump(stack))
    return folder


def cli_seconds(command: str, n: int) -> dict[str, float]:
    """``python -m mesh render|check bench`` on the synthetic stack, timed from the command's start
    (imports done, as for the other kinds) to its end."""
    import contextlib
    import io

    from mesh.cli import main as cli_main

    workdir = Path(tempfile.mkdtemp(prefix="mesh-bench-cli-"))
    project = stack_project(n, workdir / "project")
    argv = ["--project-dir", str(project), command, "bench"]
    argv += ["--out", str(workdir / "rendered")] if command == "render" else ["--format", "json"]
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = cli_main(argv)
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{command} exited {code}: {out.getvalue()[-2000:]}")
    objects = json.loads(out.getvalue())["objects"] if command == "check" else 0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "objects": objects}


def measure(kind: str, n: int, objects_file: str, collector: str = "program") -> dict[str, float]:
    """One measurement in this process (called in a fresh child)."""
    import pulumi
    import pulumi_kubernetes as k8s

    from istio_mesh.registration import register
    from mesh.process import tune_collector
    from mesh.program import build, read_config

    # The process settings of `pulumi up` and `python -m mesh`, for every kind alike.
    if collector == "program":
        tune_collector()
    config = cli_config(n)
    entries = json.loads(Path(objects_file).read_text()) if kind in ("components", "baseline") else []

    def program() -> None:
        build(read_config())

    def plain_object(name: str, typ: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions) -> Any:
        if typ == "kubernetes:helm.sh/v3:Release":
            fields = {k: v for k, v in inputs.items() if k not in ("compat", "repositoryOpts")}
            return k8s.helm.v3.Release(name, repository_opts=inputs.get("repositoryOpts"), opts=opts, **fields)
        return register(name, inputs, opts)

    def baseline() -> None:
        for i, entry in enumerate(e for e in entries if e["custom"]):
            plain_object(f"o{i}", entry["type"], entry["inputs"], pulumi.ResourceOptions())

    def components() -> None:
        # The same objects under the same empty components, parents and dependencies:
        # what the component structure costs Pulumi, without any of this project's code.
        made: dict[str, Any] = {}
        for entry in entries:
            opts = pulumi.ResourceOptions(
                parent=made.get(entry["parent"]), depends_on=[made[d] for d in entry["dependencies"]]
            )
            if entry["custom"]:
                made[entry["urn"]] = plain_object(entry["name"], entry["type"], entry["inputs"], opts)
            else:
                component = pulumi.ComponentResource(entry["type"], entry["name"], None, opts)
                component.register_outputs({})
                made[entry["urn"]] = component

    if kind == "own":
        return {"seconds": own_seconds(n), "copy_seconds": copy_seconds(n), "peak_mb": 0.0, "objects": 0}
    if kind in ("render", "check"):
        return cli_seconds(kind, n)
    start = time.perf_counter()
    count = _run_under_mocks({"program": program, "components": components, "baseline": baseline}[kind], config)
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
        # A folder of its own: /tmp/bench-render may be another checkout's.
        [sys.executable, "-m", "mesh", "render", "dev", "--out", str(Path(tempfile.mkdtemp()) / "rendered")],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return time.perf_counter() - start


def best_of_three(work: Callable[[], object]) -> float:
    """The shortest of three timed runs of ``work``."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def own_seconds(n: int) -> float:
    """This project's own work for ``n`` services, without Pulumi: config validation,
    planning, every spec and the mesh analysis (best of three, in a fresh child)."""
    from mesh.analysis import preflight
    from mesh.config import load
    from mesh.environment import plan_environment

    raw = {k.split(":", 1)[1]: v for k, v in cli_config(n).items()}

    def work() -> None:
        cfg = load(raw)
        preflight(plan_environment(cfg).inventory(), cfg.declared_calls)

    return best_of_three(work)


def copy_seconds(n: int) -> float:
    """A deep copy of the config of ``n`` services, ten times (best of three): linear
    by construction, so its growth is what linear looks like on this machine."""
    cfg = synthetic_config(n)
    return best_of_three(lambda: [copy.deepcopy(cfg) for _ in range(10)])


KINDS = ("program", "components", "baseline")
COMMANDS = ("render", "check")
"""The commands, each measured beside the program in every round: their ratio to it is per round."""
TARGETS = {"render": 1.3, "check": 1.5}
"""At most this many times the program's own time at N = 1000."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--collector",
        choices=["program", "default"],
        default="program",
        help="the program's garbage-collector setting (default) or Python's own, for every kind",
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "N", "OBJECTS"), help=argparse.SUPPRESS)
    parser.add_argument("--record", nargs=2, metavar=("N", "OBJECTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.record:
        Path(args.record[1]).write_text(json.dumps(recorded(int(args.record[0]))))
        return 0
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.child[2], args.collector)))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="mesh-bench-"))
    median: dict[tuple[str, int], float] = {}
    peak: dict[tuple[str, int], float] = {}
    objects: dict[int, int] = {}
    own: dict[int, float] = {}
    linear: dict[int, float] = {}
    ratios: dict[int, list[float]] = {}
    # What the program registers, recorded once per size, is what the others register by hand.
    files = {n: workdir / f"objects-{n}.json" for n in args.sizes}
    for n, path in files.items():
        # In a child: a child's peak memory starts at its parent's, so this one stays small.
        subprocess.run([sys.executable, __file__, "--record", str(n), str(path)], check=True, cwd=ROOT)
    runs: dict[tuple[str, int], list[dict[str, float]]] = {
        (k, n): [] for k in (*KINDS, *COMMANDS, "own") for n in args.sizes
    }
    # Round after round, every size and kind in turn: drift on the machine hits all
    # alike, the growth from 100 to 1000 as much as the ratio.
    for round_ in range(args.repeats):
        for n in args.sizes:
            # The baseline in the middle, beside each of the others; the order reversed
            # every other round, so that none always runs first or last.
            order = ("program", "baseline", "components")
            for kind in (*(order if round_ % 2 == 0 else order[::-1]), *COMMANDS, "own"):
                runs[kind, n].append(child(kind, n, files[n], args.collector))
    for n in args.sizes:
        for kind in KINDS:
            median[kind, n] = statistics.median(r["seconds"] for r in runs[kind, n])
            peak[kind, n] = max(r["peak_mb"] for r in runs[kind, n])
        # Each round's program against the baseline run right beside it.
        pairs = zip(runs["program", n], runs["baseline", n], strict=True)
        ratios[n] = [p["seconds"] / b["seconds"] for p, b in pairs]
        objects[n] = int(runs["program", n][0]["objects"])
        own[n] = statistics.median(r["seconds"] for r in runs["own", n])
        linear[n] = statistics.median(r["copy_seconds"] for r in runs["own", n])
    print(
        "| N | objects | seconds | ms per object | peak MB | ratio to baseline | ratio range "
        "| baseline seconds | baseline peak MB | components alone, seconds | own work, seconds |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        seconds, base = median["program", n], median["baseline", n]
        print(
            f"| {n} | {objects[n]} | {seconds:.2f} | {1000 * seconds / objects[n]:.2f} | {peak['program', n]:.0f} "
            f"| {statistics.median(ratios[n]):.2f} | {min(ratios[n]):.2f} to {max(ratios[n]):.2f} "
            f"| {base:.2f} | {peak['baseline', n]:.0f} | {median['components', n]:.2f} | {own[n]:.2f} |"
        )
    print()
    print(
        "| N | program seconds | render seconds | render / program | check seconds | check / program | check peak MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    command_ratios: dict[tuple[str, int], list[float]] = {}
    for n in args.sizes:
        cells = [f"{median['program', n]:.2f}"]
        for command in COMMANDS:
            # Each round's command against the program run in the same round.
            pairs = zip(runs[command, n], runs["program", n], strict=True)
            command_ratios[command, n] = [c["seconds"] / p["seconds"] for c, p in pairs]
            median[command, n] = statistics.median(r["seconds"] for r in runs[command, n])
            ratio = command_ratios[command, n]
            cells += [
                f"{median[command, n]:.2f}",
                f"{statistics.median(ratio):.2f} ({min(ratio):.2f} to {max(ratio):.2f})",
            ]
        peak["check", n] = max(r["peak_mb"] for r in runs["check", n])
        print(f"| {n} | {' | '.join(cells)} | {peak['check', n]:.0f} |")
    for command in COMMANDS:
        if 1000 in args.sizes:
            ratio = statistics.median(command_ratios[command, 1000])
            verdict = "met" if ratio <= TARGETS[command] else "NOT met"
            print(f"{command} / program at N = 1000: {ratio:.2f} (target <= {TARGETS[command]}): {verdict}")
    if 100 in args.sizes and 1000 in args.sizes:
        print()
        for command in COMMANDS:
            print(f"time(1000) / time(100), {command}: {median[command, 1000] / median[command, 100]:.1f}")
        for kind in KINDS:
            target = " (target <= 11)" if kind == "program" else ""
            print(f"time(1000) / time(100), {kind}: {median[kind, 1000] / median[kind, 100]:.1f}{target}")
        print(f"time(1000) / time(100), own work: {own[1000] / own[100]:.1f}")
        print(f"time(1000) / time(100), a deep copy of the config (linear): {linear[1000] / linear[100]:.1f}")
    for n in args.sizes:
        base, comp, prog = median["baseline", n], median["components", n], median["program", n]
        print(
            f"N = {n}: Pulumi's cost of the components {100 * (comp - base) / base:+.0f}% of the baseline, "
            f"this project's code {100 * (prog - comp) / base:+.0f}%"
        )
    print(f"`python -m mesh render dev`, end to end: {render_seconds():.2f} s (target < 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

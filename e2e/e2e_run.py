"""End-to-end run of this project's real program against a Kubernetes cluster.

The Python language host cannot be built here, so the program runs as an Automation
API *inline* program (the CLI talks to this process over ``--client``): the same
``mesh.program.main`` that ``pulumi up`` would run, with the stack config of
``Pulumi.<stack>.yaml`` as the CLI stores it, plus the overrides an e2e run needs
(chart repository on 127.0.0.1, ClusterIP gateway, chart version of the served
charts, one secret env value, a canary on ``review``).

    e2e_run.py package --charts ../shared/istio/charts --out DIR
        package base/istiod/gateway into DIR (.tgz + index.yaml) for a chart server
    e2e_run.py run --kubeconfig FILE --chart-repo http://127.0.0.1:PORT [--pulumi BIN] ...
        the checks; prints one line per check and a closing ``N passed, N failed``

Every step is a named check; the exit status is 1 when any failed.
"""

import argparse
import base64
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from e2e_common import (
    CANARY_SERVICE,
    PASSPHRASE,
    PROJECT,
    ROOT,
    ROTATED_SECRET_VALUE,
    SECRET_KEY,
    SECRET_VALUE,
    Checks,
    cli_config,
    config_json,
    e2e_config,
    log,
    non_loopback_urls,
    package_charts,
    summary_of,
)
from e2e_kube import Kube
from e2e_verify import Verify

# ---------------------------------------------------------------------------- the run


class Run(Verify):
    def __init__(self, args: argparse.Namespace) -> None:
        from pulumi import automation as auto

        self.auto = auto
        self.args = args
        self.kubeconfig = Path(args.kubeconfig).resolve()
        self.kube = Kube(self.kubeconfig)
        self.tmp = Path(tempfile.mkdtemp(prefix="mesh-e2e-run-"))
        self.work = self.tmp / "project"
        self.work.mkdir()
        if args.program == "project":
            self.copy_project()
        else:
            shutil.copy(ROOT / "Pulumi.yaml", self.work / "Pulumi.yaml")
        (self.tmp / "state").mkdir()
        (self.tmp / "home").mkdir()
        pulumi_bin = Path(args.pulumi).resolve()
        os.environ["PATH"] = f"{pulumi_bin.parent}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env = {
            "PULUMI_BACKEND_URL": f"file://{self.tmp / 'state'}",
            "PULUMI_HOME": str(self.tmp / "home"),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "KUBECONFIG": str(self.kubeconfig),
            "PATH": os.environ["PATH"],
        }
        self.base = cli_config(Path(args.stack_file))
        self.stack: Any = None
        self.state_text = ""

    def close(self) -> None:
        self.kube.close()
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- Pulumi

    def install_provider(self) -> str:
        import subprocess

        if not self.args.provider:
            return "provider: using plugins already in PULUMI_HOME"
        env = {**os.environ, **self.env}
        subprocess.run(
            [self.args.pulumi, "plugin", "install", "resource", "kubernetes", self.args.provider_version,
             "--file", self.args.provider],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return f"kubernetes plugin {self.args.provider_version} from {self.args.provider}"

    def program(self) -> None:
        from mesh.program import main

        main()

    @contextmanager
    def in_work_dir(self) -> Iterator[None]:
        # read_config finds secret leaves in Pulumi.<stack>.yaml of the working directory.
        old = os.getcwd()
        os.chdir(self.work)
        try:
            yield
        finally:
            os.chdir(old)

    def copy_project(self) -> None:
        """The project as ``pulumi up`` runs it, in the work folder: Pulumi.yaml (its
        virtualenv pointed at this Python's), ``__main__.py`` and ``mesh/``."""
        project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
        options = project.setdefault("runtime", {}).setdefault("options", {})
        options["virtualenv"] = sys.prefix
        (self.work / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
        shutil.copy(ROOT / "__main__.py", self.work / "__main__.py")
        shutil.copytree(ROOT / "mesh", self.work / "mesh", ignore=shutil.ignore_patterns("__pycache__"))

    def open_stack(self) -> str:
        auto = self.auto
        ws = auto.LocalWorkspaceOptions(work_dir=str(self.work), env_vars=self.env)
        if self.args.program == "project":
            # The CLI runs the project through its Python language host, as `pulumi up` does.
            host = shutil.which("pulumi-language-python", path=self.env["PATH"])
            if host is None:
                raise RuntimeError(
                    "--program project needs Pulumi's Python language host (pulumi-language-python) "
                    "beside the CLI or on PATH; it ships with Pulumi's release archives "
                    "(it cannot be built from the Go module proxy: e2e/NOTES-build.md)"
                )
            self.stack = auto.create_or_select_stack(self.args.stack, work_dir=str(self.work), opts=ws)
            return f"stack {self.args.stack} of the project in {self.work} (language host {host})"
        self.stack = auto.create_or_select_stack(self.args.stack, project_name=PROJECT, program=self.program, opts=ws)
        return f"stack {self.args.stack} in {self.work}"

    def set_config(self, weights: tuple[int, int], secret: str = SECRET_VALUE) -> str:
        cfg = e2e_config(self.base, self.args.chart_repo, self.args.istio_version, weights)
        remote = non_loopback_urls(cfg)
        if remote:
            raise RuntimeError(f"refusing to run: config names non-loopback URLs {remote}")
        self.stack.set_all_config_json(config_json(cfg))
        self.stack.set_config(
            f"{PROJECT}:services[0].env.{SECRET_KEY}", self.auto.ConfigValue(secret, secret=True), path=True
        )
        stack_file = (self.work / f"Pulumi.{self.args.stack}.yaml").read_text(encoding="utf-8")
        if secret in stack_file or "secure:" not in stack_file:
            raise RuntimeError("the secret is not stored encrypted in the stack file")
        return f"canary weights {weights}"

    def changed(self, action: Callable[..., Any]) -> list[str]:
        """``<op> <urn>`` of every resource ``action`` (preview or up) does not leave the same."""
        from pulumi.automation import events

        touched: list[str] = []

        def on_event(ev: events.EngineEvent) -> None:
            pre = ev.resource_pre_event
            if pre is not None and pre.metadata.op != events.OpType.SAME:
                touched.append(f"{pre.metadata.op.value} {pre.metadata.urn}")

        action(on_event=on_event)
        return touched

    def out(self, line: str) -> None:
        if self.args.verbose:
            print("    " + line.rstrip(), flush=True)

    def preview(self, **kw: Any) -> Any:
        with self.in_work_dir():
            return self.stack.preview(on_output=self.out, color="never", diff=False, **kw)

    def up(self, **kw: Any) -> Any:
        with self.in_work_dir():
            return self.stack.up(on_output=self.out, color="never", **kw)

    def destroy(self) -> Any:
        with self.in_work_dir():
            return self.stack.destroy(on_output=self.out, color="never")

    def state(self) -> list[dict[str, Any]]:
        dep = self.stack.export_stack()
        self.state_text = json.dumps(dep.deployment)
        resources: list[dict[str, Any]] = dep.deployment.get("resources") or []
        return resources


def run(args: argparse.Namespace) -> int:
    checks = Checks()
    t_start = time.monotonic()
    r = Run(args)
    c = checks.check

    def step_up(label: str) -> bool:
        return c(label, lambda: f"{summary_of(r.up().summary.resource_changes)}")

    try:
        ok = c("setup: provider plugin", r.install_provider)
        ok = ok and c("setup: stack", r.open_stack)
        ok = ok and c("setup: config (dev + e2e overrides, one secret env value)", lambda: r.set_config((90, 10)))
        if not ok:
            raise SystemExit(finish(checks, t_start, r))
        c("1 preview", lambda: f"{summary_of(r.preview().change_summary)}")
        if step_up("2 up"):
            c("3a Istio CRDs Established", r.check_crds)
            c("3b Helm releases deployed", r.check_helm)
            c("3c app namespace istio-injection=enabled", r.check_namespaces)
            c("3d Deployments: inject label + injected-by annotation", r.check_deployments)
            c("3e every registered object exists", r.check_registered)
            c("3f secret only in the Kubernetes Secret", r.check_secret)
            c("3g the components' outputs hold resource references", r.check_references)

            def idempotent() -> str:
                res = r.preview(expect_no_changes=True)
                changes = {k: v for k, v in summary_of(res.change_summary).items() if k != "same"}
                if changes:
                    raise AssertionError(f"changes: {changes}")
                return f"{summary_of(res.change_summary)}"

            c("4 preview --expect-no-changes", idempotent)

            c("5a canary weights change touches only the VirtualService", lambda: canary(r))
            c(
                "5b a rotated secret value: a new Secret, the Deployments roll onto it, the old one goes",
                lambda: rotate_secret(r),
            )
        else:
            args.no_second_up = True
        destroyed = c("6a destroy", lambda: f"{summary_of(r.destroy().summary.resource_changes)}")
        if destroyed:
            c("6b nothing left that blocks a new up", r.clean_after_destroy)
            if not args.no_second_up:
                r.set_config((90, 10))
                if step_up("7a second up in the same cluster"):
                    c("7b second up: Helm releases deployed", r.check_helm)
                if c("7c second destroy", lambda: f"{summary_of(r.destroy().summary.resource_changes)}"):
                    c(
                        "7d nothing left after the second destroy",
                        r.clean_after_destroy,
                    )
    finally:
        pass
    return finish(checks, t_start, r)


def canary(r: Run) -> str:
    """Weights 90/10 → 50/50: preview and up touch exactly the VirtualService, and the cluster holds 50/50."""
    r.set_config((50, 50))
    touched = {"preview": r.changed(r.preview), "up": r.changed(r.up)}
    problems = [
        f"{phase} touched {urns}"
        for phase, urns in touched.items()
        if len(urns) != 1
        or not urns[0].startswith("update ")
        or not urns[0].endswith(f"VirtualService::{CANARY_SERVICE}")
    ]
    vs = r.kube.obj("networking.istio.io/v1", "VirtualService", CANARY_SERVICE, r.app_namespaces()[0])
    weights = sorted(d.get("weight", 0) for h in (vs or {}).get("spec", {}).get("http", []) for d in h.get("route", []))
    if weights[-2:] != [50, 50]:
        problems.append(f"VirtualService weights in the cluster: {weights}")
    if problems:
        raise AssertionError("; ".join(problems))
    return f"only {touched['up'][0]}"


def rotate_secret(r: Run) -> str:
    """A new secret env value: up creates a new Secret (Pulumi names it), updates the
    service's Deployments to refer to it (a rolling update: none is deleted or replaced),
    then deletes the old Secret; nothing else changes."""
    old_name, _ = r.env_secret()
    r.set_config((50, 50), secret=ROTATED_SECRET_VALUE)
    touched = r.changed(r.up)
    secret_ops = {t.split(" ", 1)[0] for t in touched if ":core/v1:Secret::" in t}
    deployments = [t for t in touched if ":apps/v1:Deployment::" in t]
    others = [t for t in touched if ":core/v1:Secret::" not in t and ":apps/v1:Deployment::" not in t]
    new_name, secret = r.env_secret()
    encoded = base64.b64encode(ROTATED_SECRET_VALUE.encode()).decode()
    problems = []
    if not {"create-replacement", "delete-replaced"} <= secret_ops or "delete" in secret_ops:
        problems.append(f"the Secret was not replaced create-before-delete: {sorted(secret_ops)}")
    if not deployments or any(not t.startswith("update ") for t in deployments):
        problems.append(f"the Deployments were not updated in place: {deployments}")
    if others:
        problems.append(f"up also touched {others}")
    if new_name == old_name or secret.get("data", {}).get(SECRET_KEY) != encoded:
        problems.append(f"Secret {old_name} -> {new_name}; the new one holds the new value: {bool(secret)}")
    if problems:
        raise AssertionError("; ".join(problems))
    return (
        f"Secret {old_name} -> {new_name} ({', '.join(sorted(secret_ops))}); {len(deployments)} Deployment(s) updated"
    )


def finish(checks: Checks, t_start: float, r: Run) -> int:
    r.close()
    log(f"run time {time.monotonic() - t_start:.0f}s")
    if checks.failed:
        log("failed: " + "; ".join(checks.failed))
    print(f"{checks.passed} passed, {len(checks.failed)} failed", flush=True)
    return 1 if checks.failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("package", help="package the Istio charts into a chart repository folder")
    pk.add_argument("--charts", default=str(ROOT.parent / "shared" / "istio" / "charts"))
    pk.add_argument("--out", required=True)
    rn = sub.add_parser("run", help="run the checks against a cluster")
    rn.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"), help="default: $KUBECONFIG")
    rn.add_argument("--chart-repo", required=True, help="Helm repository URL serving base/istiod/gateway")
    rn.add_argument("--pulumi", default=os.environ.get("MESH_E2E_PULUMI") or shutil.which("pulumi") or "pulumi")
    rn.add_argument("--provider", default=os.environ.get("MESH_E2E_PULUMI_RESOURCE_KUBERNETES"),
                    help="pulumi-resource-kubernetes binary to register (default $MESH_E2E_PULUMI_RESOURCE_KUBERNETES)")  # fmt: skip
    rn.add_argument("--provider-version", default=os.environ.get("MESH_E2E_K8S_PLUGIN_VERSION", "4.34.2"))
    rn.add_argument(
        "--program",
        choices=("inline", "project"),
        default="inline",
        help="inline: mesh.program.main in this process over the CLI's --client (no language host needed); "
        "project: the project folder through Pulumi's Python language host, exactly as `pulumi up` runs it",
    )
    rn.add_argument("--stack", default="dev")
    rn.add_argument("--stack-file", default=str(ROOT / "Pulumi.dev.yaml"))
    rn.add_argument("--istio-version", default="1.30.3", help="the served charts' version")
    rn.add_argument("--wait", type=float, default=120, help="seconds to wait for namespaces to go")
    rn.add_argument("--no-second-up", action="store_true")
    rn.add_argument("--keep", action="store_true", help="keep the temp folder (state, PULUMI_HOME)")
    rn.add_argument("-v", "--verbose", action="store_true", help="print Pulumi's output")
    args = ap.parse_args(argv)
    if args.cmd == "package":
        for e in package_charts(Path(args.charts), Path(args.out)):
            print(f"{e['name']}-{e['version']}.tgz sha256:{e['digest']}")
        return 0
    if not args.kubeconfig:
        ap.error("--kubeconfig or $KUBECONFIG is required")
    sys.path.insert(0, str(ROOT))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

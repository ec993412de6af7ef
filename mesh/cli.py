"""The command line's parsing, running and output; ``python -m mesh --help`` lists it.

Exit codes: 0 clean, 1 errors found (``check``) or the analysis stopped ``render``,
2 for anything wrong with the input: flags, files, stack config.
"""

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from istio_mesh import ArgsError
from mesh import render
from mesh.analysis import ERROR, INFO, RULES, WARNING, Finding, check, finding, format_finding, ordered
from mesh.analysis.schemas import KUBERNETES_VERSION, CrdFileError, kubernetes_versions, load_istio_schemas
from mesh.istioctl import IstioctlError, istioctl_findings, merged
from mesh.offline import OfflineRun, run_stack
from mesh.program import AnalysisError
from mesh.readme import write_readme_tables
from mesh.stackfile import PROJECT_DIR, StackFileError

RENDER_MARKER = ".mesh-render"
"""File that marks a folder as written by ``render``, so that it may be replaced."""


class UsageError(ValueError):
    """A flag whose value cannot be used."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def parser() -> argparse.ArgumentParser:
    """The command line's flags."""
    p = _Parser(prog="python -m mesh", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="folder of Pulumi.yaml (default: %(default)s)")
    sub = p.add_subparsers(dest="command", required=True)
    p_render = sub.add_parser("render", help="write every object the stack would register as YAML")
    p_render.add_argument("stack", nargs="?", help="stack name (default: the stack file's name, else dev)")
    p_render.add_argument(
        "--out", type=Path, help="output folder, replaced with this stack's objects (default: rendered/STACK)"
    )
    p_render.add_argument(
        "--stack-file",
        type=Path,
        help="a stack file elsewhere, such as an example (default: PROJECT_DIR/Pulumi.STACK.yaml)",
    )
    p_check = sub.add_parser("check", help="validate every object the stack would register")
    p_check.add_argument("stack", nargs="?", help="stack name (default: the stack file's name, else dev)")
    p_check.add_argument(
        "--stack-file",
        type=Path,
        help="a stack file elsewhere, such as an example (default: PROJECT_DIR/Pulumi.STACK.yaml)",
    )
    p_check.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p_check.add_argument(
        "--fail-on",
        choices=[WARNING, ERROR],
        default=ERROR,
        help="exit 1 on findings of this severity or worse (default: %(default)s; infos never fail)",
    )
    p_check.add_argument(
        "--istioctl",
        type=Path,
        help="also run Istio's own `istioctl analyze --use-kube=false` on the objects and merge its messages",
    )
    p_check.add_argument(
        "--alpha-annotations",
        action="store_true",
        help="also report alpha-phase Istio annotations (IST0136), which istioctl analyze leaves out by default",
    )
    p_check.add_argument(
        "--crds", type=Path, help="Istio CRD file (default: $MESH_ISTIO_CRDS or ../shared/istio/crd-all.gen.yaml)"
    )
    p_check.add_argument(
        "--gateway-api-crds",
        type=Path,
        help="Gateway API CRD file or folder of CRD files (default, for the stack's `gateway_api.channel`: "
        "standard: $MESH_GATEWAY_API_CRDS or ../shared/gateway-api/standard-install-v1.5.1.yaml; experimental: "
        "$MESH_GATEWAY_API_EXPERIMENTAL_CRDS or Go's module cache, "
        "$GOMODCACHE/sigs.k8s.io/gateway-api@v1.5.1/config/crd/experimental)",
    )
    p_check.add_argument(
        "--kubernetes-version",
        default=KUBERNETES_VERSION,
        help=f"Kubernetes version of the schemas, one of {', '.join(kubernetes_versions())} (default: %(default)s)",
    )
    sub.add_parser("docs", help="regenerate the README's generated tables")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit code."""
    args = parser().parse_args(argv)
    if args.command == "docs":
        for path in write_readme_tables(args.project_dir):
            print(f"updated {path}")
        return 0
    if args.stack is None:
        args.stack = args.stack_file.stem if args.stack_file else "dev"
    try:
        if args.command == "check":
            _check_flags(args)
        # check reports the analysis as findings; render stops on it, as `pulumi preview` does.
        run = run_stack(args.stack, args.project_dir, analysis=args.command == "render", stack_file=args.stack_file)
    except (UsageError, StackFileError, ArgsError) as err:
        return _input_error(args, err)
    except AnalysisError as err:
        print(f"error: stack {args.stack!r}: {err}", file=sys.stderr)
        return 1
    if args.command == "render":
        return _render(args, run)
    findings = check(
        run,
        crds=args.crds,
        kubernetes_version=args.kubernetes_version,
        declared=run.declared_calls,
        gateway_api_crds=args.gateway_api_crds,
        alpha_annotations=args.alpha_annotations,
        gateway_api_channel=run.gateway_api_channel,
    )
    if args.istioctl is not None:
        try:
            findings = ordered(merged(findings, istioctl_findings(run, args.istioctl)))
        except IstioctlError as err:
            return _input_error(args, err)
    _print_findings(args, findings, len(run.custom()))
    failing = {ERROR} if args.fail_on == ERROR else {ERROR, WARNING}
    return 1 if any(f.severity in failing for f in findings) else 0


def _check_flags(args: argparse.Namespace) -> None:
    problems = []
    if args.kubernetes_version.removeprefix("v") not in kubernetes_versions():
        problems.append(
            f"--kubernetes-version {args.kubernetes_version!r}: allowed: {', '.join(kubernetes_versions())}"
        )
    if args.istioctl is not None and not args.istioctl.is_file():
        problems.append(f"--istioctl {args.istioctl}: no such file")
    if args.crds is not None:
        try:
            load_istio_schemas(args.crds)
        except CrdFileError as err:
            problems.append(f"--crds: {err}")
    if args.gateway_api_crds is not None:
        try:
            load_istio_schemas(args.gateway_api_crds)
        except CrdFileError as err:
            problems.append(f"--gateway-api-crds: {err}")
    if problems:
        raise UsageError("\n".join(problems))


def _input_error(args: argparse.Namespace, err: Exception) -> int:
    if args.command == "check" and args.format in ("json", "sarif"):
        problems = getattr(err, "problems", None)
        if problems:
            findings = [finding("MESH0003", "(config)", p.path, p.message) for p in problems]
        else:
            findings = [finding("MESH0003", "(input)", "", line) for line in str(err).splitlines()]
        _print_findings(args, findings, 0)
    else:
        print(f"error: stack {args.stack!r}: {err}", file=sys.stderr)
    return 2


def _print_findings(args: argparse.Namespace, findings: list[Finding], objects: int) -> None:
    errors = sum(f.severity == ERROR for f in findings)
    warnings = sum(f.severity == WARNING for f in findings)
    infos = sum(f.severity == INFO for f in findings)
    if args.format == "json":
        document = {
            "stack": args.stack,
            "objects": objects,
            "errors": errors,
            "warnings": warnings,
            "infos": infos,
            "findings": [f.as_dict() for f in findings],
        }
        print(json.dumps(document, indent=2, sort_keys=True))
        return
    if args.format == "sarif":
        print(json.dumps(sarif(args.stack, findings), indent=2, sort_keys=True))
        return
    for f in findings:
        print(format_finding(f))
    print(f"stack {args.stack!r}: {objects} objects checked, {errors} errors, {warnings} warnings, {infos} infos")


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}


def sarif(stack: str, findings: list[Finding]) -> dict[str, object]:
    """Findings as a SARIF 2.1.0 log: one run, every code of RULES as a rule, each finding a
    result with its level and a logical location naming the object and the field path."""
    codes = list(RULES)
    rules = [
        {
            "id": rule.code,
            **({"name": rule.name} if rule.name else {}),
            "shortDescription": {"text": rule.finding},
            "help": {"text": f"fix: {rule.fix}"},
            "defaultConfiguration": {"level": SARIF_LEVELS[rule.severity]},
            **(
                {"helpUri": f"https://istio.io/latest/docs/reference/config/analysis/{rule.code.lower()}/"}
                if rule.code.startswith("IST")
                else {}
            ),
        }
        for rule in RULES.values()
    ]
    results = []
    for f in findings:
        fully = f"{f.object}/{f.path}" if f.path else f.object
        results.append(
            {
                "ruleId": f.code,
                "ruleIndex": codes.index(f.code),
                "level": SARIF_LEVELS[f.severity],
                "message": {"text": f"{f.message} (fix: {f.fix})"},
                "locations": [
                    {
                        "logicalLocations": [
                            {
                                "name": f.path or f.object,
                                "fullyQualifiedName": fully,
                                "kind": "property" if f.path else "resource",
                            }
                        ]
                    }
                ],
                "properties": {"object": f.object, "path": f.path, "fix": f.fix, "stack": stack},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mesh check",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"mesh-check/{stack}/"},
                "results": results,
            }
        ],
    }


def _render(args: argparse.Namespace, run: OfflineRun) -> int:
    out: Path = (args.out or Path("rendered") / args.stack).resolve()
    if out == out.parent:
        print(f"error: --out {out}: name a folder of its own", file=sys.stderr)
        return 2
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / RENDER_MARKER).exists())):
        print(
            f"error: {out} exists and was not written by render; name a new or empty folder",
            file=sys.stderr,
        )
        return 2
    # Written beside the target, then swapped in: objects the stack no longer has do not linger.
    staging = out.with_name(f".{out.name}.rendering")
    shutil.rmtree(staging, ignore_errors=True)
    files = render.write(run, staging)
    (staging / RENDER_MARKER).write_text(f"rendered stack {args.stack}; replaced on every render\n")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    print(f"Rendered stack {args.stack!r}: {len(files) - 1} objects in {out}/ (its previous content replaced)\n")
    print(render.summary(run))
    print(f"\nStack outputs: {out / 'outputs.yaml'}")
    return 0

"""Command line: ``python -m mesh render [STACK]`` and ``python -m mesh check [STACK]``.

Both run the stack's real program offline, under Pulumi's mock runtime, with the
config the CLI would feed it. No cluster, no Pulumi CLI.
"""

import argparse
import json
import sys
from pathlib import Path

from istio_mesh import ArgsError
from mesh import render
from mesh.check import check, format_text
from mesh.offline import PROJECT_DIR, StackFileError, run_stack
from mesh.program import AnalysisError, tune_collector
from mesh.schemas import KUBERNETES_VERSION


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m mesh", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project-dir", type=Path, default=PROJECT_DIR, help="folder of Pulumi.yaml (default: %(default)s)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_render = sub.add_parser("render", help="write every object the stack would register as YAML")
    p_render.add_argument("stack", nargs="?", help="stack name (default: dev)")
    p_render.add_argument("--out", type=Path, help="output folder (default: rendered/STACK)")
    p_render.add_argument("--stack-file", type=Path, help="a stack file elsewhere (STACK then defaults to its name)")
    p_check = sub.add_parser("check", help="validate every object the stack would register")
    p_check.add_argument("stack", nargs="?", help="stack name (default: dev)")
    p_check.add_argument("--format", choices=["text", "json"], default="text")
    p_check.add_argument("--stack-file", type=Path, help="a stack file elsewhere (STACK then defaults to its name)")
    p_check.add_argument(
        "--crds", help="Istio CRD file (default: $MESH_ISTIO_CRDS or ../shared/istio/crd-all.gen.yaml)"
    )
    p_check.add_argument("--kubernetes-version", default=KUBERNETES_VERSION, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.stack is None:
        args.stack = args.stack_file.stem if args.stack_file else "dev"
    tune_collector()
    try:
        # check reports the analysis as findings; render stops on it, as `pulumi preview` does.
        run = run_stack(args.stack, args.project_dir, analysis=args.command == "render", stack_file=args.stack_file)
    except (ArgsError, StackFileError) as err:
        print(f"error: stack {args.stack!r}: {err}", file=sys.stderr)
        return 2
    except AnalysisError as err:
        print(f"error: stack {args.stack!r}: {err}", file=sys.stderr)
        return 1
    if args.command == "render":
        out = args.out or Path("rendered") / args.stack
        files = render.write(run, out)
        print(f"Rendered stack {args.stack!r}: {len(files) - 1} objects in {out}/\n")
        print(render.summary(run))
        print(f"\nStack outputs: {out / 'outputs.yaml'}")
        return 0
    findings = check(run, crds=args.crds, kubernetes_version=args.kubernetes_version, declared=run.declared_calls)
    if args.format == "json":
        print(json.dumps([f.as_dict() for f in findings], indent=2, sort_keys=True))
    else:
        print(format_text(args.stack, run, findings))
    return 1 if any(f.severity == "error" for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())

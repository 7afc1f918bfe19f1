"""Command line behind the Makefile: ``python -m grader.cli <command>``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value else None


def _sync(args: argparse.Namespace) -> int:
    from grader.lectures import find_lecture
    from grader.release import sync
    changed = sync([find_lecture(key) for key in args.lectures] or None)
    for path in changed:
        print(f"updated {path}")
    print("all notebooks in sync" if not changed else f"{len(changed)} notebook(s) rewritten")
    return 0


def _release(args: argparse.Namespace) -> int:
    from grader.release import release
    bundle, archive = release()
    print(f"student bundle: {bundle}\n               {archive}")
    return 0


def _autograde(args: argparse.Namespace) -> int:
    from grader.autograde import autograde_command
    return autograde_command(Path(args.submissions) if args.submissions else None, workers=args.workers,
                             scheduler=args.scheduler, unsafe=args.unsafe)


def _feedback(args: argparse.Namespace) -> int:
    from grader.autograde import feedback_command
    return feedback_command()


def _grades(args: argparse.Namespace) -> int:
    from grader.grades import default_output, grades_command
    return grades_command(Path(args.output) if args.output else default_output())


def _report(args: argparse.Namespace) -> int:
    from grader.report import default_folder, report_command
    return report_command(Path(args.output) if args.output else default_folder())


def _validate(args: argparse.Namespace) -> int:
    from grader.validate import validate_command
    return validate_command(Path(args.notebook))


def _demo(args: argparse.Namespace) -> int:
    from grader.demo import demo_command
    return demo_command()


def _bench(args: argparse.Namespace) -> int:
    from grader.bench import bench_command
    return bench_command()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="rewrite course notebooks exactly as nbgrader releases them")
    sync.add_argument("lectures", nargs="*", help="lecture numbers or slugs (default: all)")
    sync.set_defaults(run=_sync)
    commands.add_parser("release", help="generate every release and the student bundle").set_defaults(run=_release)
    grade = commands.add_parser("autograde", help="autograde a submitted/ folder or an LMS zip")
    grade.add_argument("submissions", nargs="?", help="a submitted/<student>/<lecture>/ folder or an LMS zip")
    grade.add_argument("--workers", type=int, default=_env_int("WORKERS"),
                       help="local Dask workers (default: one per core)")
    grade.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or None,
                       help="grade on a running Dask cluster, e.g. tcp://host:8786")
    grade.add_argument("--unsafe", action="store_true", default=os.environ.get("UNSAFE_GRADING") == "1",
                       help="grade without the sandbox (every grade says so)")
    grade.set_defaults(run=_autograde)
    commands.add_parser("feedback", help="HTML feedback for every autograded submission").set_defaults(run=_feedback)
    grades = commands.add_parser("grades", help="write the grades CSV")
    grades.add_argument("--output", default=None, help="default: grades.csv beside the course directory")
    grades.set_defaults(run=_grades)
    report = commands.add_parser("report", help="write the instructor's report (HTML and CSV)")
    report.add_argument("--output", default=None, help="default: report/ beside the course directory")
    report.set_defaults(run=_report)
    validate = commands.add_parser("validate", help="run a notebook's visible tests")
    validate.add_argument("notebook")
    validate.set_defaults(run=_validate)
    commands.add_parser("demo-grading", help="grade a synthetic class end to end").set_defaults(run=_demo)
    commands.add_parser("bench", help="measure run times and widget update times").set_defaults(run=_bench)
    args = parser.parse_args(argv)
    from grader.config import GradebookError
    from grader.executor.sandbox import SandboxUnavailable
    try:
        return args.run(args)
    except (GradebookError, SandboxUnavailable) as error:  # a setup problem: say what to do
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

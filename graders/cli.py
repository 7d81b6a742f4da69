"""The `academy` command: a table of contents of the library, one subcommand per verb.

Every subcommand delegates to a library function; this module only parses arguments and
prints. Bad input ends with one line on stderr and exit code 2; a fault of the grader's own
(the gradebook unreachable, a lost worker) with one line and exit code 3.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn)
from rich.table import Table

from .errors import AcademyError

out = Console()
err = Console(stderr=True)


def find_root(start: Path | None) -> Path:
    """The course directory: ``--root`` if given, else the nearest folder upward holding
    nbgrader_config.py and source/."""
    if start is not None:
        if not (start / "source").is_dir():
            raise AcademyError(f"{start}: not a course directory (no source/ folder)")
        return start.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise AcademyError("not inside a course directory (no nbgrader_config.py and source/ "
                       "found here or above); use --root")


def cmd_lab(args) -> int:
    from .lab import start_lab

    start_lab(find_root(args.root), args.port, browser=not args.no_browser)
    return 0


def cmd_release(args) -> int:
    from .release import release

    root = find_root(args.root)
    with err.status("releasing…") as spinner:
        done = release(root, args.ids or None, check=args.check,
                       progress=lambda aid: spinner.update(f"releasing {aid}…"))
    if args.check:
        if done:
            for path in done:
                out.print(f"out of date: {path}")
            out.print("run `academy release` to bring release/ in sync with source/")
            return 1
        out.print("release/ is in sync with source/")
        return 0
    out.print(f"released: {', '.join(done)}")
    return 0


def cmd_check(args) -> int:
    from .language import of_path, using

    with using(of_path(args.notebook)):  # the table in the notebook's language
        return _check(args)


def _status_word(status: str) -> str:
    from .language import t

    return {"passed": t("passed"), "failed": t("failed"), "manual": t("manual")}.get(status, status)


def _check(args) -> int:
    from .language import t
    from .selfcheck import check

    with Progress(TextColumn(t("running")), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as bar:
        job = bar.add_task("cells", total=None)
        results = check(args.notebook, cell_seconds=args.timeout, kernel_name=args.kernel,
                        on_cell=lambda i, n: bar.update(job, completed=i, total=n))
    table = Table(title=t("Self-check: {notebook}", notebook=args.notebook))
    for column in (t("question"), t("points"), t("result"), t("what to do")):
        table.add_column(column, overflow="fold")
    for r in results:
        colour = {"passed": "green", "failed": "red"}.get(r.status, "yellow")
        advice = t("{message}. Hint: {hint}", message=r.message, hint=r.hint) if r.hint else r.message
        table.add_row(r.grade_id, f"{r.earned:g} / {r.points:g}", f"[{colour}]{_status_word(r.status)}[/]", advice)
    out.print(table)
    auto = [r for r in results if r.status != "manual"]
    earned, possible = sum(r.earned for r in auto), sum(r.points for r in auto)
    passed = sum(r.status == "passed" for r in auto)
    out.print(t("score: {earned} / {possible} ({passed} of {checks} checks passed)",
                earned=f"{earned:g}", possible=f"{possible:g}", passed=passed, checks=len(auto)))
    return 0 if passed == len(auto) else 1


def cmd_grade(args) -> int:
    from .engine import grade_assignment

    root = find_root(args.root)
    if args.db:
        os.environ["ACADEMY_DB_URL"] = args.db  # read by the course config, nbgrader included
    with Progress(TextColumn("grading {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        job = bar.add_task(args.id, total=None)

        def step(done, total, what):
            bar.update(job, description=f"{args.id}: {what}", completed=done, total=total)

        report = grade_assignment(root, args.id, args.csv, workers=args.workers,
                                  scheduler=args.scheduler, sandbox=not args.unsafe_no_sandbox,
                                  force=args.force, progress=step)
    out.print(summary_table(report))
    kept = sum(r.reused for r in report.results)
    if kept:
        out.print(f"{kept} submission(s) unchanged since the last run were kept "
                  "(--force regrades them)")
    out.print(f"per-question grades: {report.csv_path}")
    if report.flagged:
        out.print(f"{len(report.flagged)} submission(s) need an instructor")
        return 1
    return 0


def summary_table(report) -> Table:
    table = Table(title=f"{report.assignment}: {len(report.results)} submission(s)")
    for column in ("student", "score", "status"):
        table.add_column(column, overflow="fold")
    possible = sum(report.max_points.values())
    for r in report.results:
        score = f"{sum(r.scores.values()):g} / {possible:g}" if r.graded else "-"
        status = "; ".join(r.problems) if r.problems else "[green]graded[/]"
        table.add_row(r.student, score, status + (" (kept)" if r.reused else ""))
    return table


def cmd_status(args) -> int:
    from .status import status

    table = Table(title="Academy courses")
    for column in ("course", "assignment", "title", "min", "questions", "points", "release"):
        table.add_column(column, overflow="fold")
    rows = status(find_root(args.root))
    for r in rows:
        table.add_row(r.course, r.assignment, r.title, str(r.minutes), str(r.questions),
                      f"{r.points:g}", r.release)
    out.print(table)
    return 0 if all(r.release == "in sync" for r in rows) else 1


def cmd_translate(args) -> int:
    from .editions import translation_status

    rows = translation_status(find_root(args.root), args.ids or None, args.lang, args.update)
    table = Table(title=f"Translations into {args.lang}")
    for column in ("module", "translated", "missing", "stale", "obsolete", "to do"):
        table.add_column(column, overflow="fold")
    for st in rows:
        todo = sorted({u.context for u in st.missing + st.stale})
        table.add_row(st.aid, str(len(st.translated)), str(len(st.missing)), str(len(st.stale)),
                      str(len(st.obsolete)), ", ".join(todo[:8]) + (" …" if len(todo) > 8 else ""))
    out.print(table)
    if not rows:
        out.print(f"no module has a translation into {args.lang} yet: "
                  f"`academy translate ID --update` starts one")
    return 0 if all(st.complete for st in rows) else 1


def cmd_hub(args) -> int:
    from .hub import demo

    if args.cleanup:
        removed = demo.cleanup()
        out.print(f"removed demo accounts: {', '.join(removed) or 'none'}; {demo.DEMO_BASE} deleted")
        return 0
    if not args.demo:
        raise AcademyError("say what to do: --demo (a trial hub on 127.0.0.1) or --cleanup; "
                           "for a real hub see deploy/hub/ and the README")
    demo.run_demo(find_root(args.root), port=args.port, say=out.print)
    return 0


def cmd_roster(args) -> int:
    from .roster import import_roster

    added, updated = import_roster(find_root(args.root), args.file)
    out.print(f"roster {args.file}: {added} student(s) added, {updated} updated")
    return 0


def cmd_export(args) -> int:
    if args.target == "class":
        from .engine.export import class_csv

        path = class_csv(find_root(args.root), args.id, args.out)
        out.print(f"grades of {args.id} in every edition, one row per student: {path}")
        return 0
    from .lms import export_lms

    if not args.format:
        raise AcademyError("`academy export lms` needs --format canvas or --format moodle")
    path = export_lms(find_root(args.root), args.id, args.format, args.out)
    out.print(f"{args.format} grades for {args.id}: {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="academy", description="Run, release, check and grade "
                                "the Academy curriculum (an nbgrader course directory).")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_text):
        s = sub.add_parser(name, help=help_text, description=help_text)
        s.set_defaults(func=func)
        return s

    def with_root(s):
        s.add_argument("--root", type=Path, help="the course directory (default: found "
                       "from the current folder upward)")
        return s

    s = with_root(add("lab", cmd_lab, "Start JupyterLab on the course with nbgrader's extensions."))
    s.add_argument("--port", type=int, help="port to listen on (default: JupyterLab's)")
    s.add_argument("--no-browser", action="store_true", help="do not open a browser")

    s = with_root(add("release", cmd_release, "Make release/ from source/ through nbgrader."))
    s.add_argument("ids", nargs="*", metavar="ID", help="assignment ids (default: all)")
    s.add_argument("--check", action="store_true", help="write nothing; exit 1 and name the "
                   "notebooks when release/ is out of date")

    s = add("check", cmd_check, "Self-check a notebook: run it in a fresh kernel and score "
            "each question. Exits 1 if any check fails.")
    s.add_argument("notebook", type=Path, help="the notebook to check")
    s.add_argument("--timeout", type=int, default=60, help="seconds allowed per cell (default 60)")
    s.add_argument("--kernel", help="kernel name (default: the notebook's own)")

    s = with_root(add("grade", cmd_grade, "Autograde every submission of an assignment under "
                      "submitted/ in sandboxed kernels, record grades and feedback through "
                      "nbgrader, and write a per-question CSV. Exits 1 if any submission "
                      "needs an instructor."))
    s.add_argument("id", help="assignment id")
    s.add_argument("--csv", type=Path, help="where to write the grades CSV (default: "
                   "exports/ID-grades.csv)")
    s.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1), metavar="N",
                   help="submissions run at once on this machine (default: one per core)")
    s.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster "
                   "(e.g. tcp://10.0.0.5:8786) instead of local workers")
    s.add_argument("--db", metavar="URL", help="gradebook URL, e.g. postgresql+psycopg://"
                   "user@host/course (default: ACADEMY_DB_URL or sqlite:///gradebook.db)")
    s.add_argument("--force", action="store_true", help="regrade submissions already "
                   "graded from the same files")
    s.add_argument("--unsafe-no-sandbox", action="store_true", help="run student code "
                   "without bubblewrap isolation (only for notebooks you trust)")

    s = with_root(add("translate", cmd_translate, "How complete each module's translation is "
                      "(i18n/LANG/ID.po): units translated, missing, and stale because their "
                      "English changed. Exits 1 if any is incomplete."))
    s.add_argument("ids", nargs="*", metavar="ID", help="modules (default: every module with "
                   "a translation file)")
    s.add_argument("--lang", default="ko", help="the language (default ko)")
    s.add_argument("--update", action="store_true", help="first bring each translation file "
                   "up to date with its English: new units added, changed ones marked fuzzy "
                   "with the old translation kept; a module without a file gets one")

    with_root(add("status", cmd_status, "Courses, assignments, points, and release sync. "
                  "Exits 1 if release/ is out of date."))

    s = with_root(add("hub", cmd_hub, "A trial JupyterHub for the course on 127.0.0.1 (root "
                      "only): a demo instructor and three demo students as real Unix users, "
                      "removed again when it stops (Ctrl-C)."))
    s.add_argument("--demo", action="store_true", help="start the trial hub")
    s.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    s.add_argument("--cleanup", action="store_true", help="remove what a killed demo left "
                   "(its accounts and /var/tmp/academy-hub-demo)")

    s = with_root(add("roster", cmd_roster, "Import students (CSV: id, first_name, last_name, "
                      "email) into the gradebook; a bad row stops it before anything is written."))
    s.add_argument("action", choices=["import"], help="what to do with the roster")
    s.add_argument("file", type=Path, help="the roster CSV")

    s = with_root(add("export", cmd_export, "Export one assignment's grades per question: "
                      "`lms` as a CSV that Canvas or Moodle imports; `class` as one CSV of a "
                      "class working in several editions (English, Korean) of a module."))
    s.add_argument("target", choices=["lms", "class"], help="what to export")
    s.add_argument("id", help="assignment id (for `class`: the English module's)")
    s.add_argument("--format", choices=["canvas", "moodle"], help="the LMS (for `lms`)")
    s.add_argument("--out", type=Path, help="where to write (default: exports/ID-FORMAT.csv, "
                   "or exports/ID-class-grades.csv)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except AcademyError as exc:
        for line in getattr(exc, "problems", None) or [str(exc)]:
            err.print(f"academy: error: {line}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("academy: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())

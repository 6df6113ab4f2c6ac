"""The one error path of the CLI: whatever goes wrong, one line on stderr and an exit code.

Every command goes through it twice over: ``cli.app.main`` runs the typer app inside
``guarded`` (bad arguments, anything raised while a command reads its options), and
``cli.app._run`` runs a command's coroutine and hands any exception to ``fail``. A new
command inherits both by being a command of ``cli.app.app`` that calls ``_run``.

Exit codes (README, "Exit codes"): those of ``graph.errors`` for our errors; 2 for bad
arguments (as click has it); 130 for Ctrl-C; 1 for anything unexpected, still as one line
(the message asks for a bug report, with the exception's type: never a traceback).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import NoReturn

import typer

try:  # typer vendors its own click; plain click for older typer
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

from graph.errors import ReviewPanelError, StoreError

USAGE_EXIT = 2
INTERRUPTED_EXIT = 130
UNEXPECTED_EXIT = 1


def _one_line(text: str) -> str:
    from services.secrets import scrub

    return " ".join(scrub(text).split())


def describe(exc: BaseException) -> tuple[str, int]:
    """The line a person reads and the exit code, for any exception."""
    if isinstance(exc, ReviewPanelError):
        return f"review-panel: error: {_one_line(str(exc))}", exc.exit_code
    if isinstance(exc, KeyboardInterrupt | typer.Abort):
        return "review-panel: interrupted; the thread can be resumed", INTERRUPTED_EXIT
    if isinstance(exc, click_errors.UsageError):
        command = exc.ctx.command_path if exc.ctx is not None else "review-panel"
        hint = f" (see `{command} --help`)"
        return f"review-panel: error: {_one_line(exc.format_message())}{hint}", USAGE_EXIT
    if isinstance(exc, click_errors.ClickException):
        return f"review-panel: error: {_one_line(exc.format_message())}", exc.exit_code
    if isinstance(exc, sqlite3.Error):  # raised outside open_checkpointer's translation
        store = StoreError(f"the checkpoint database (--db / REVIEW_PANEL_DB) failed: {exc}")
        return describe(store)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return (
        f"review-panel: unexpected error ({_one_line(what)[:300]}); this is a bug, please "
        "report it with the command you ran",
        UNEXPECTED_EXIT,
    )


def fail(exc: BaseException) -> NoReturn:
    """Print ``exc`` as one line and exit with its code."""
    line, code = describe(exc)
    typer.echo(line, err=True)
    raise typer.Exit(code)


def guarded(run_app: Callable[[], object]) -> int:
    """Run the whole app (``app(standalone_mode=False)``); every failure ends here."""
    try:
        result = run_app()
    except typer.Exit as done:  # a command's own exit code, already reported
        return int(done.exit_code or 0)
    except click_errors.NoArgsIsHelpError as exc:  # bare `review-panel`: the help
        typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc))
        return 0
    except BaseException as exc:  # the one place everything is reported
        if isinstance(exc, SystemExit):
            return int(exc.code) if isinstance(exc.code, int) else UNEXPECTED_EXIT
        try:
            line, code = describe(exc)
        except Exception:  # describing must never be the thing that prints a traceback
            line, code = f"review-panel: unexpected error ({type(exc).__name__})", UNEXPECTED_EXIT
        typer.echo(line, err=True)
        return code
    return int(result) if isinstance(result, int) else 0

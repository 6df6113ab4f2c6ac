"""``review-panel``: review a diff or PR, then approve, edit or reject it from any process.

Every command opens the checkpoint database (``--db`` / ``REVIEW_PANEL_DB``), so a review
paused by one process is approved by another, later. Errors print one line on stderr and exit
with the code of their ``ReviewPanelError`` class: every command runs its work through
``_run``, and ``main`` runs the app inside ``cli.errors.guarded``, the one error path.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="A panel of specialist AI reviewers for pull requests and diffs, with human approval.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts contain [env: ...], which rich would eat as markup
)

T = TypeVar("T")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Checkpoint database: a SQLite path or postgresql:// URL "
        "[env: REVIEW_PANEL_DB; default .review-panel/checkpoints.sqlite]",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Exit 7 when some model calls failed and part of the change was not reviewed "
        "(nothing reviewed at all is exit 6 either way).",
    ),
]


def _run(coro: Coroutine[Any, Any, T], *, check_settings: bool = True) -> T:
    """Run a command's coroutine: every setting is checked first, and anything raised (ours
    or not) becomes one line on stderr and an exit code (``cli.errors``)."""
    from cli.errors import fail

    try:
        if check_settings:
            from graph.context import Context

            Context()  # every setting from the environment, validated before any work
        return asyncio.run(coro)
    except typer.Exit:
        raise
    except BaseException as exc:  # the one error path
        coro.close()  # never started when a setting failed: no "never awaited" warning
        fail(exc)


@contextlib.contextmanager
def _warm_imports(*modules: str) -> Iterator[None]:
    """Import ``modules`` in a background thread while the review starts.

    The model client (langchain-openai and the OpenAI SDK) is the largest import of a
    review and is needed only by the first model call; imported here, it loads while the
    main thread waits on the disk, GitHub and its own imports, instead of after all that.
    The thread is joined before the command ends, so no import is cut short at exit.
    """

    def load() -> None:
        for name in modules:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)

    thread = threading.Thread(target=load, name="warm-imports", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


@app.command()
def review(
    target: Annotated[
        str,
        typer.Argument(
            help="A .diff/.patch file, - for stdin, owner/repo#123 or a pull request URL."
        ),
    ],
    db: DbOption = None,
    model: Annotated[str | None, typer.Option(help="Model name [env: REVIEW_PANEL_MODEL].")] = None,
    structured_output: Annotated[
        str | None,
        typer.Option(
            help="json_schema | function_calling | json_mode [env: REVIEW_PANEL_STRUCTURED_OUTPUT]."
        ),
    ] = None,
    max_concurrency: Annotated[
        int | None, typer.Option(help="Model calls in flight [env: REVIEW_PANEL_MAX_CONCURRENCY].")
    ] = None,
    min_severity: Annotated[
        str | None,
        typer.Option(
            help="info | low | medium | high | critical: leave out findings below "
            "[env: REVIEW_PANEL_MIN_SEVERITY; else .review-panel.yaml; else low]."
        ),
    ] = None,
    min_confidence: Annotated[
        float | None,
        typer.Option(
            help="0..1: leave out findings the specialist is less sure of "
            "[env: REVIEW_PANEL_MIN_CONFIDENCE; else .review-panel.yaml; else 0.5]."
        ),
    ] = None,
    max_comments: Annotated[
        int | None,
        typer.Option(
            help="Most inline comments; the rest go to the body "
            "[env: REVIEW_PANEL_MAX_COMMENTS; else .review-panel.yaml; else 25]."
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            help="For a local diff: the repository folder at the reviewed head, to show the "
            "code around each hunk [env: REVIEW_PANEL_REPO; else the git working tree here]."
        ),
    ] = None,
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Run the panel on TARGET and pause for approval; prints the draft and the thread id."""
    from services.pullref import parse_pull_ref

    pull_request = parse_pull_ref(target) is not None
    with _warm_imports("langchain_openai", *(["github"] if pull_request else [])):
        from cli import session

        _run(
            session.review(
                target,
                db,
                as_json=as_json,
                strict=strict,
                model=model,
                structured_output=structured_output,
                max_concurrency=max_concurrency,
                min_severity=min_severity,
                min_confidence=min_confidence,
                max_inline_comments=max_comments,
                repo=repo,
            )
        )


@app.command()
def show(thread: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show a thread: its status and its draft or final review."""
    from cli import session

    _run(session.show(thread, db, as_json=as_json))


@app.command()
def threads(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List reviews: id, target, status, created."""
    from cli import session

    _run(session.list_threads(db, as_json=as_json))


@app.command()
def approve(
    thread: str,
    edit: Annotated[
        Path | None,
        typer.Option(help="YAML/JSON file with summary, verdict and comments {id: text|null}."),
    ] = None,
    verdict: Annotated[
        str | None, typer.Option(help="COMMENT | REQUEST_CHANGES | APPROVE (your call).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the final review here.")] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="Format of --out: markdown, json (the structured review) or sarif "
            "(SARIF 2.1.0 for GitHub code scanning).",
        ),
    ] = "markdown",
    moved_head: Annotated[
        str | None,
        typer.Option(
            help="If the PR moved since the review: post (on the reviewed commit) or cancel."
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a paused review (optionally edited) and publish it."""
    from cli import inputs, session

    if out is not None:
        inputs.check_writable(out)  # before anything is published
    decision: dict[str, Any] = inputs.read_edit(str(edit)) if edit else {"type": "approve"}
    if verdict:
        decision["verdict"] = verdict.upper()
    if moved_head not in (None, "post", "cancel"):
        typer.echo("review-panel: error: --moved-head takes post or cancel", err=True)
        raise typer.Exit(5)
    if fmt not in ("markdown", "json", "sarif"):
        typer.echo("review-panel: error: --format takes markdown, json or sarif", err=True)
        raise typer.Exit(2)
    if fmt != "markdown" and out is None:
        typer.echo("review-panel: error: --format is the format of --out FILE: add --out", err=True)
        raise typer.Exit(2)
    _run(
        session.decide(
            thread, db, decision, out=out, as_json=as_json, moved_head=moved_head, fmt=fmt
        )
    )


@app.command()
def reject(
    thread: str,
    reason: Annotated[str, typer.Option(help="Why the draft is rejected.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject a paused review: nothing is published."""
    from cli import session

    _run(
        session.decide(thread, db, {"type": "reject", "message": reason}, out=None, as_json=as_json)
    )


@app.command()
def resume(
    thread: str,
    db: DbOption = None,
    as_json: JsonOption = False,
    strict: StrictOption = False,
    model: Annotated[
        str | None, typer.Option(help="Change the thread's model from here on.")
    ] = None,
    structured_output: Annotated[
        str | None,
        typer.Option(help="Change the thread's json_schema | function_calling | json_mode."),
    ] = None,
    max_concurrency: Annotated[
        int | None, typer.Option(help="Change the thread's model calls in flight.")
    ] = None,
    min_severity: Annotated[
        str | None, typer.Option(help="Change the thread's minimum severity (info ... critical).")
    ] = None,
    min_confidence: Annotated[
        float | None, typer.Option(help="Change the thread's minimum confidence (0..1).")
    ] = None,
    max_comments: Annotated[
        int | None, typer.Option(help="Change the thread's most inline comments.")
    ] = None,
) -> None:
    """Continue a thread that stopped before the approval pause (a crash or a failure), or
    re-run the model calls that failed.

    It runs with the settings the review started with (`show` lists them); an option here
    changes that setting for the rest of the thread, and `show` says so. The environment's
    REVIEW_PANEL_* values do not apply to a thread that has started.
    """
    from cli import session

    _run(
        session.resume(
            thread,
            db,
            as_json=as_json,
            strict=strict,
            model=model,
            structured_output=structured_output,
            max_concurrency=max_concurrency,
            min_severity=min_severity,
            min_confidence=min_confidence,
            max_inline_comments=max_comments,
        )
    )


@app.command()
def inbox(
    db: DbOption = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; keep loopback unless behind https.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8400,
) -> None:
    """Serve the approval pages for the paused reviews in --db; prints a sign-in link."""
    from cli import inbox as inbox_server

    _run(_open_db(db))  # settings and the database checked before the server starts
    inbox_server.serve(db, host, port)  # errors: main's one error path (cli/errors.py)


async def _open_db(db: str | None) -> None:
    """Open and close the checkpoint database: a command that serves checks it first."""
    from graph.checkpointer import db_setting, open_checkpointer

    async with open_checkpointer(db_setting(db)):
        pass


@app.command()
def forget(
    thread: Annotated[list[str], typer.Argument(help="Thread id(s) to delete.")],
    db: DbOption = None,
) -> None:
    """Delete finished, failed or crashed threads from the database (not a paused one)."""
    from cli import forget as forgetting

    _run(forgetting.forget(thread, db))


@app.command("github-event")
def github_event(db: DbOption = None) -> None:
    """Handle the GitHub Actions event in GITHUB_EVENT_NAME / GITHUB_EVENT_PATH: review a pull
    request, or carry out a /review-panel command from a comment."""
    from cli import github_event as handler

    _run(handler.handle(db))


@app.command()
def doctor() -> None:
    """Check the model endpoint, model name, structured-output method and GitHub access."""
    from cli import doctor as checks

    _run(checks.doctor())


def main() -> None:
    from cli.errors import guarded

    sys.exit(guarded(lambda: app(standalone_mode=False)))


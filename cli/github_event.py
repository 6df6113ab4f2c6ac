"""``review-panel github-event``: one GitHub Actions event, handled in the job's process.

GitHub Actions names the event in ``GITHUB_EVENT_NAME`` and writes its payload to the file
``GITHUB_EVENT_PATH``. The same handler as the webhook's (``team.handler``) carries it out,
with threads in the checkpointer of ``REVIEW_PANEL_DB`` (Postgres: a paused draft must outlive
the job, so a later job, started by a ``/review-panel approve`` comment, can decide on it).

Nothing from the pull request is run or imported: the review reads the PR through the API,
so ``pull_request_target`` (which has the secrets, and runs the base branch's workflow) is
safe as long as the workflow does not check out the PR's code either.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from graph.errors import InputError

EVENT_NAME_ENV = "GITHUB_EVENT_NAME"
EVENT_PATH_ENV = "GITHUB_EVENT_PATH"


def read_event() -> tuple[str, object]:
    """The event's name and payload, from the variables GitHub Actions sets."""
    name = os.environ.get(EVENT_NAME_ENV, "").strip()
    path = os.environ.get(EVENT_PATH_ENV, "").strip()
    if not name or not path:
        raise InputError(
            f"{EVENT_NAME_ENV} and {EVENT_PATH_ENV} must be set (GitHub Actions sets both)"
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the event payload {path}: {exc}") from None
    try:
        return name, json.loads(text)
    except ValueError:
        raise InputError(f"the event payload {path} is not JSON") from None


async def handle(db_flag: str | None) -> None:
    from cli.session import open_session
    from team.events import Ignore, decide
    from team.handler import Handler
    from team.local_threads import LocalThreads

    name, payload = read_event()
    action = decide(name, payload)
    if isinstance(action, Ignore):
        typer.echo(f"review-panel: ignored: {action.reason}")
        return
    async with open_session(db_flag) as session:
        threads = LocalThreads(session.app, session.checkpointer, session.db)
        outcome = await Handler(threads).handle(action, raise_errors=True)
    typer.echo(f"review-panel: {outcome}")

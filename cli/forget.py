"""``review-panel forget``: drop threads nobody will finish, so failures do not pile up.

A thread is deleted from the checkpoint database (every checkpoint and pending write) under
the same lease ``resume`` and ``approve`` take, so a thread another process is running is
never pulled from under it. A thread paused for approval is refused: ``reject`` it instead,
which keeps a record of the decision.
"""

from __future__ import annotations

import typer

from graph.errors import ThreadError
from graph.threads import PAUSED


async def forget(thread_ids: list[str], db: str | None) -> None:
    from cli.session import _info, open_session
    from graph.checkpointer import thread_lease

    async with open_session(db) as session:
        for thread_id in thread_ids:
            await _info(session, thread_id)  # an unknown thread is reported before any lease
            async with thread_lease(session.db, thread_id):
                info = await _info(session, thread_id)
                if info.status == PAUSED:
                    raise ThreadError(
                        f"thread {thread_id} is waiting for approval: `review-panel reject "
                        f"{thread_id} --reason TEXT` ends it instead"
                    )
                await session.checkpointer.adelete_thread(thread_id)
            typer.echo(f"forgot thread {thread_id} ({info.status}, {info.target})", err=True)

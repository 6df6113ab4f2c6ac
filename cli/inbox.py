"""``review-panel inbox``: the approval pages for the threads in the CLI's checkpoint database.

The same routes LangGraph's server mounts (``web.inbox``), with the checkpointer back end.
It prints a sign-in link that carries a code made for this process only: the inbox token
itself (``REVIEW_PANEL_INBOX_TOKEN``, which scripts send as a bearer token) is never
printed. Without that variable and without GitHub OAuth, a random token stands in, so the
printed link is the only way in.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import typer


def serve(db: str | None, host: str, port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette

    from graph.checkpointer import db_setting
    from web.inbox.config import InboxSettings
    from web.inbox.local import CheckpointerThreads
    from web.inbox.pages import ROOT
    from web.inbox.routes import Inbox, routes

    code = secrets.token_urlsafe(24)
    settings = InboxSettings.from_env(token=secrets.token_urlsafe(32), login_code=code)
    database = db_setting(db)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with CheckpointerThreads.open(database) as threads:
            app.state.inbox = Inbox.create(threads, settings)
            yield

    app = Starlette(routes=routes, lifespan=lifespan)
    base = settings.public_url or f"http://{_url_host(host)}:{port}"

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:  # the socket is bound: the link works from now on
                typer.echo(f"review-panel inbox: serving {database} at {base}{ROOT}", err=True)
                typer.echo(f"sign in: {base}{ROOT}/login?code={code}")
                sys.stdout.flush()

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = Server(config)
    server.run()
    if not server.started:
        typer.echo(f"review-panel: error: cannot serve on {host}:{port}", err=True)
        raise typer.Exit(2)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host

"""The HTTP app that LangGraph's server mounts beside its own API (``langgraph.json``'s
``http.app``).

It gathers routes (the GitHub webhook and the inbox pages each live in their own module) and,
in its lifespan, which LangGraph's server enters after its own start-up, prepares the process
for bursts of deliveries (``web.process``). ``review-panel inbox`` serves the inbox's routes
alone, on the CLI's checkpoints.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from web import process, webhook
from web.inbox.routes import routes as inbox_routes

routes: list[BaseRoute] = [*webhook.routes, *inbox_routes]


@contextlib.asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    pool = process.prepare()
    yield
    pool.shutdown(wait=False, cancel_futures=True)


app = Starlette(routes=routes, lifespan=lifespan)

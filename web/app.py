"""The HTTP app that LangGraph's server mounts beside its own API (``langgraph.json``'s
``http.app``).

It only gathers routes: the GitHub webhook and the inbox pages each live in their own module.
``review-panel inbox`` serves the inbox's routes alone, on the CLI's checkpoints.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from web import webhook
from web.inbox.routes import routes as inbox_routes

routes: list[BaseRoute] = [*webhook.routes, *inbox_routes]

app = Starlette(routes=routes)

"""The HTTP app that LangGraph's server mounts beside its own API (``langgraph.json``'s
``http.app``), and that ``review-panel inbox`` serves on its own.

It only gathers routes: the GitHub webhook and the inbox pages each live in their own module.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from web import webhook

routes: list[BaseRoute] = [*webhook.routes]

app = Starlette(routes=routes)

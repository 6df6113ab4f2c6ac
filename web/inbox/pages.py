"""Rendering: autoescaped Jinja2 templates, and the headers every inbox answer carries.

Templates are read once, at import, into memory: rendering touches no file, which keeps it
fast and keeps LangGraph's server (which fails blocking calls on its event loop) content.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

ROOT = "/inbox"

# No script at all, styles only from our own file, forms only to ourselves, no framing.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

_FILES = resources.files("web.inbox")
_TEMPLATES = {
    entry.name: entry.read_text(encoding="utf-8")
    for entry in _FILES.joinpath("templates").iterdir()
    if entry.name.endswith(".html")
}
STYLESHEET = _FILES.joinpath("static", "inbox.css").read_bytes()

env = Environment(
    loader=DictLoader(_TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, **context: Any) -> str:
    base: dict[str, Any] = {
        "root": ROOT,
        "who": None,
        "csrf": "",
        "error": None,
        "notice": None,
        "form": {},
        "link": None,
        "link_text": "",
    }
    return env.get_template(name).render(base | context)


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(name, **context), status_code=status, headers=HEADERS)


def secured(response: Response) -> Response:
    """Add the inbox's security headers to any answer (redirects and JSON included)."""
    for key, value in HEADERS.items():
        response.headers.setdefault(key, value)
    return response

"""Progress events from inside a run, for whoever is watching it (the CLI prints them).

Events go to LangGraph's ``custom`` stream (``get_stream_writer``): the CLI asks for that
stream and prints each event as it happens; a run nobody streams that way (a test, Studio
without it) drops them. Outside a graph run, ``emit`` does nothing.
"""

from __future__ import annotations

from typing import Any

EVENT = "review_panel_progress"  # the key that marks our events among other custom writes


def emit(kind: str, message: str, **fields: Any) -> None:
    """Send one event: ``kind`` (waiting, retry, slow_server, ...) and a line for people."""
    from langgraph.config import get_stream_writer

    try:
        writer = get_stream_writer()
    except (RuntimeError, AttributeError):  # not inside a graph run
        return
    writer({EVENT: kind, "message": message, **fields})

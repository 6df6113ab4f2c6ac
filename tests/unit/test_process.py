"""``web.process.prepare``: what LangGraph's server process gets from the app's lifespan
before its first delivery (``web/app.py``), entered here through Starlette's test client as
the server enters it.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from web import process
from web.app import app


@pytest.fixture
def collector() -> Iterator[None]:
    """The test process's collector as it was: prepare freezes the heap and changes it."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


async def worker_name() -> str:
    return await asyncio.to_thread(lambda: threading.current_thread().name)


def io_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("review-panel-io")]


def test_the_lifespan_starts_every_io_thread_and_freezes_the_start_up_heap(
    collector: None,
) -> None:
    before = set(io_threads())  # another loop's pool, if a test before made one
    with TestClient(app) as client:
        # All started before any work: none is started (with the loop waiting) in a burst.
        started = [t for t in io_threads() if t not in before]
        assert len(started) == process.IO_THREADS
        assert gc.get_freeze_count() > 10_000  # the libraries' and the app's objects
        assert gc.get_threshold()[0] == process.YOUNG_OBJECTS
        # The pool is the loop's: blocking work (PyGithub's calls) runs on these threads.
        assert client.portal.call(worker_name) in {t.name for t in started}
        assert [t for t in io_threads() if t not in before] == started  # none added
    for thread in started:  # shut down with the app
        thread.join(timeout=10)
    assert not any(t.is_alive() for t in started)

"""The loopback model server's keep-alive mode, which the benchmarks use: hosted and local
model servers keep connections open, and a connection per call would be charged to the
reviewer's CPU there."""

from __future__ import annotations

import asyncio
import threading

from langchain_openai import ChatOpenAI

from tests.servers.openai_server import ModelServer, Reply


async def _calls(
    model: ModelServer, stream_after: int, total: int, llm: ChatOpenAI | None = None
) -> list[str]:
    llm = llm or ChatOpenAI(model="m", base_url=model.base_url, api_key="k", max_retries=0)
    answers = []
    for i in range(total):
        if i == stream_after:  # a stream ends by closing its connection
            answers.append("".join([str(c.content) async for c in llm.astream("q")]))
        else:
            answers.append(str((await llm.ainvoke("q")).content))
    return answers


def test_keep_alive_reuses_one_connection_until_a_stream_closes_it() -> None:
    with ModelServer(lambda r: Reply.text("ok"), keep_alive=True) as model:
        assert asyncio.run(_calls(model, stream_after=3, total=6)) == ["ok"] * 6
        # three calls on one connection, the stream on it too, then a new one for the rest
        assert model.connections == 2
    assert model.open_connections == 0  # stop() cut the connection the client kept open


def test_by_default_every_call_has_its_own_connection() -> None:
    with ModelServer(lambda r: Reply.text("ok")) as model:
        assert asyncio.run(_calls(model, stream_after=99, total=4)) == ["ok"] * 4
        assert model.connections == 4


def test_stop_ends_every_handler_thread_with_idle_connections_open() -> None:
    before = set(threading.enumerate())
    model = ModelServer(lambda r: Reply.text("ok"), keep_alive=True).start()
    llm = ChatOpenAI(model="m", base_url=model.base_url, api_key="k", max_retries=0)
    asyncio.run(_calls(model, stream_after=99, total=3, llm=llm))
    assert model.open_connections > 0  # held open by llm's pool: a handler thread waits on it
    model.stop()
    assert model.open_connections == 0
    assert set(threading.enumerate()) - before == set()  # no thread of the server is left
    del llm

"""The model clients ``services.model`` keeps: one per settings and model, built in a worker
thread the first time; a server's every review warms the same one without a thread hop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graph.context import Context
from services import model
from services.model import ModelChoice


async def test_a_client_is_built_once_and_warmed_again_without_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hops: list[Any] = []
    to_thread = asyncio.to_thread

    async def counted(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        hops.append(fn)
        return await to_thread(fn, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    context = Context(base_url="http://127.0.0.1:9/v1", timeout=7.5)
    choice = ModelChoice("clients-test-model", 0.0)

    await model.warm(context, choice)
    await model.warm(context, choice)
    assert len(hops) == 1  # built in a worker thread once; the second warm found it

    settings = model._client_settings(context)
    assert model._chat_model(settings, choice) is model._chat_model(settings, choice)
    # Another model is another client, built on its own warm.
    await model.warm(context, ModelChoice("another-model", 0.0))
    assert len(hops) == 2


def test_only_the_last_clients_built_are_kept() -> None:
    settings = model._client_settings(Context(base_url="http://127.0.0.1:9/v1", timeout=3.5))
    first = model._chat_model(settings, ModelChoice("kept-0", 0.0))
    for n in range(1, model._KEPT_CLIENTS + 1):
        model._chat_model(settings, ModelChoice(f"kept-{n}", 0.0))
    assert len(model._CLIENTS) == model._KEPT_CLIENTS
    assert model._chat_model(settings, ModelChoice("kept-0", 0.0)) is not first  # built again

"""An in-process stand-in for ``services.model.call_structured``: no HTTP, same contracts."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from graph.contracts import SpecialistAnswer, SynthesisAnswer, Usage
from graph.errors import ModelError
from tests.servers.openai_server import ChatRequest
from tests.servers.panel_model import findings_for, which


@dataclass
class FakeModel:
    """Answers like the rule-based panel model; records calls; can fail a named specialist."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (who, system, user)
    fail: set[str] = field(default_factory=set)
    in_flight: int = 0
    max_in_flight: int = 0
    delay: float = 0.0
    together: int = 0  # if set, a call waits (10 s at most) until this many are in flight
    _all_in: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(
        self,
        context: Any,
        choice: Any,
        schema: Any,
        system: str,
        user: str,
        check: Any = None,
        partial: bool = False,
        split_cut_off: bool = False,
        label: str = "",
    ) -> tuple[Any, Usage]:
        request = ChatRequest(
            body={
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ]
            },
            headers={},
        )
        who = which(request)
        self.calls.append((who, system, user))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.in_flight >= self.together:
                self._all_in.set()
            if self.together and who != "orchestrator":
                # Concurrent calls all get here before any returns; sequential ones time out.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._all_in.wait(), timeout=10)
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if who in self.fail:
            raise ModelError(f"{who} model exploded")
        usage = Usage(prompt_tokens=len(user) // 4, completion_tokens=10)
        if schema is SynthesisAnswer:
            return SynthesisAnswer(summary="Fake summary.", resolutions=[]), usage
        assert issubclass(schema, SpecialistAnswer)  # capped per prompt: services.answers
        answer = schema.model_validate({"findings": findings_for(who, user)})
        if check is not None and check(answer) and not partial:
            raise ModelError(f"{who} cited lines it was not shown: {check(answer)}")
        return answer, usage

    def who_called(self) -> list[str]:
        return [c[0] for c in self.calls]


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    fake = FakeModel()
    monkeypatch.setattr("services.review.call_structured", fake)
    monkeypatch.setattr("nodes.orchestrate.call_structured", fake)
    return fake

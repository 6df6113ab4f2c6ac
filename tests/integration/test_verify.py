"""The optional verification pass (REVIEW_PANEL_VERIFY), through langchain-openai and the
loopback model server: one call per reviewed chunk with findings, refuted findings dropped
with the reason in the draft's notes, off by default.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.workflow import build_graph
from tests.conftest import EXAMPLES
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, which

SQL = (EXAMPLES / "sql_injection.diff").read_text()


def refuting(title_word: str) -> Any:
    """The panel's rule-based model, with a verifier that refutes findings whose title
    contains ``title_word``."""

    def handler(request: ChatRequest) -> Reply:
        if which(request) != "verifier":
            return answer(request)
        listed = [
            json.loads(row) for row in request.user.splitlines() if row.startswith('{"finding"')
        ]
        checks = [
            {
                "finding": f["finding"],
                "reason": "Line 9 binds the name as a parameter."
                if title_word in f["title"]
                else "The code shows it.",
                "holds": title_word not in f["title"],
            }
            for f in listed
        ]
        return Reply.json({"checks": checks})

    return handler


async def draft_for(verify: bool | None) -> dict[str, Any]:
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    context = Context(base_url=os.environ["OPENAI_BASE_URL"])
    if verify is not None:
        context.verify = verify
    await app.ainvoke({"target": SQL}, config, context=context)
    return dict((await app.aget_state(config)).values["draft"])


async def test_refuted_findings_are_dropped_with_the_reason_in_the_notes(
    model_env: ModelServer,
) -> None:
    model_env.handler = refuting("SQL")
    draft = await draft_for(True)
    assert [c["category"] for c in draft["comments"]] == ["hardcoded-secret", "n-plus-one"]
    (note,) = [n for n in draft["notes"] if n.startswith("verification dropped")]
    assert note.startswith("verification dropped security's finding 'SQL built from an f-string'")
    assert note.endswith(": Line 9 binds the name as a parameter.")
    # One verification call per reviewed chunk that had findings, shown that chunk's code.
    checked = [r for r in model_env.requests if which(r) == "verifier"]
    reviewers_with_findings = {"security", "performance"}
    assert len(checked) == len(reviewers_with_findings)
    for request in checked:
        assert "<untrusted_findings>" in request.user and "<untrusted_diff>" in request.user
        assert '### file "app/users.py"' in request.user
    assert draft["usage"]["security"]["prompt_tokens"] > 0


async def test_verification_is_off_by_default(model_env: ModelServer) -> None:
    model_env.handler = refuting("SQL")
    draft = await draft_for(None)
    assert "sql-injection" in [c["category"] for c in draft["comments"]]
    assert not [r for r in model_env.requests if which(r) == "verifier"]


async def test_a_verification_call_that_fails_keeps_every_finding(
    model_env: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEW_PANEL_MAX_RETRIES", "0")

    def handler(request: ChatRequest) -> Reply:
        if which(request) == "verifier":
            return Reply.error(500, "verifier down")
        return answer(request)

    model_env.handler = handler
    draft = await draft_for(True)
    assert len(draft["comments"]) == 3
    assert draft["failures"] == []
    notes = [n for n in draft["notes"] if "verification could not run" in n]
    assert notes and all("all findings kept" in n for n in notes)
    assert re.search(r"answered 500", notes[0])

"""Keep what is valid: one finding that cites lines the model was never shown costs only
that finding, never the call's other findings (through langchain-openai and the loopback
model server, which answers the repair request with the same answer).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.workflow import build_graph
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import which

DIFF = "\n".join(
    [
        "diff --git a/app/jobs.py b/app/jobs.py",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/app/jobs.py",
        "@@ -0,0 +1,12 @@",
        *[f"+step_{n} = run({n})" for n in range(1, 13)],
        "",
    ]
)
GOOD_LINES = [2, 5, 8, 11]
NEVER_SHOWN = 400  # the file is new and has 12 lines


def finding(line: int, title: str) -> dict[str, Any]:
    return {
        "path": "app/jobs.py",
        "start_line": line,
        "end_line": None,
        "side": "RIGHT",
        "rationale": f"{title}: the job runs with the caller's privileges.",
        "title": title,
        "category": "missing-authorization",
        "severity": "high",
        "suggestion": None,
        "confidence": 0.9,
    }


def security_answers(findings: list[dict[str, Any]]) -> Any:
    def handler(request: ChatRequest) -> Reply:
        who = which(request)
        if who == "orchestrator":
            return Reply.json({"summary": "Check the jobs.", "resolutions": []})
        return Reply.json({"findings": findings if who == "security" else []})

    return handler


async def review(model: ModelServer) -> dict[str, Any]:
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    context = Context(base_url=os.environ["OPENAI_BASE_URL"])
    await app.ainvoke({"target": DIFF}, config, context=context)
    return dict((await app.aget_state(config)).values["draft"])


async def test_four_good_findings_and_one_never_shown_line_keep_the_four(
    model_env: ModelServer,
) -> None:
    good = [finding(n, f"Unchecked job {n}") for n in GOOD_LINES]
    model_env.handler = security_answers([*good, finding(NEVER_SHOWN, "Phantom job")])
    draft = await review(model_env)
    assert sorted(c["start_line"] for c in draft["comments"]) == GOOD_LINES
    assert all(c["anchor"] is not None for c in draft["comments"])
    assert draft["failures"] == []
    (note,) = [n for n in draft["notes"] if "Phantom job" in n]
    assert note.startswith("security: dropped the finding 'Phantom job', which cites lines")
    assert "app/jobs.py lines 400-400 (RIGHT) were not shown" in note
    asked = [r for r in model_env.requests if which(r) == "security"]
    assert len(asked) == 2  # the repair attempt was made before anything was dropped
    assert "could not be used" in asked[1].user and "400" in asked[1].user
    assert draft["verdict"] == "REQUEST_CHANGES"


async def test_a_repair_that_fixes_the_citation_keeps_all_five(model_env: ModelServer) -> None:
    good = [finding(n, f"Unchecked job {n}") for n in GOOD_LINES]
    answers = iter([[*good, finding(NEVER_SHOWN, "Job 12")], [*good, finding(12, "Job 12")]])

    def handler(request: ChatRequest) -> Reply:
        if which(request) == "security":
            return Reply.json({"findings": next(answers)})
        return security_answers([])(request)

    model_env.handler = handler
    draft = await review(model_env)
    assert sorted(c["start_line"] for c in draft["comments"]) == [*GOOD_LINES, 12]
    assert not [n for n in draft["notes"] if "never shown" in n]


async def test_a_call_whose_every_finding_cites_unseen_lines_fails_and_says_why(
    model_env: ModelServer,
) -> None:
    model_env.handler = security_answers([finding(NEVER_SHOWN, "Phantom job")])
    draft = await review(model_env)
    assert draft["comments"] == []
    (failure,) = draft["failures"]
    assert failure.startswith("security could not review")
    assert "app/jobs.py" in failure and "every finding cited lines it was never shown" in failure
    assert "Phantom job" in failure

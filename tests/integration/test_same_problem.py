"""Synthesis never weakens a finding: only the same problem is merged, through the real
client (langchain-openai) and the loopback model server.

The example is the one that went wrong before: a critical injection at line 4, a
performance note at 3-4 and a style note at 1-6 had become one comment spanning 1-6,
without its suggestion, called a disagreement, and the orchestrator could lower it.
"""

from __future__ import annotations

import json
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
        "diff --git a/app/report.py b/app/report.py",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/app/report.py",
        "@@ -0,0 +1,6 @@",
        "+def report(db, names):",
        "+    for name in names:",
        "+        rows = db.execute(",
        "+            f\"SELECT * FROM t WHERE name = '{name}'\")",
        "+        print(rows)",
        "+    return None",
        "",
    ]
)
FIX = '            "SELECT * FROM t WHERE name = ?", (name,))'


def finding(start: int, end: int, severity: str, category: str, title: str, **extra: Any) -> Any:
    return {
        "path": "app/report.py",
        "start_line": start,
        "end_line": end,
        "side": "RIGHT",
        "rationale": f"{title}: fix it.",
        "title": title,
        "category": category,
        "severity": severity,
        "suggestion": extra.get("suggestion"),
        "confidence": 0.9,
    }


PANEL = {
    "security": [
        finding(4, 4, "critical", "sql-injection", "SQL built from input", suggestion=FIX)
    ],
    "performance": [finding(3, 4, "medium", "n-plus-one", "Query per name")],
    "style": [finding(1, 6, "low", "long-function", "Loop and query in one function")],
}


def model(
    same_problem: list[dict[str, Any]] | None = None,
    severity: str = "low",
    panel: dict[str, list[dict[str, Any]]] = PANEL,
) -> Any:
    """Specialists answer ``panel``; the orchestrator tries to lower every comment it is
    shown and, if told, judges groups of comments (named by their titles) one problem."""

    def handler(request: ChatRequest) -> Reply:
        who = which(request)
        if who != "orchestrator":
            return Reply.json({"findings": panel.get(who, [])})
        shown = [json.loads(row) for row in request.user.splitlines() if row.startswith('{"id"')]
        by_title = {c["views"][0]["title"]: c["id"] for c in shown}
        groups = [
            {"comment_ids": [by_title[t] for t in g["titles"]], "reason": g["reason"]}
            for g in same_problem or []
        ]
        return Reply.json(
            {
                "summary": "Looks fine to me.",
                "resolutions": [
                    {"comment_id": c["id"], "resolution": "Minor.", "severity": severity}
                    for c in shown
                ],
                "same_problem": groups,
            }
        )

    return handler


async def review(server: ModelServer) -> dict[str, Any]:
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    await app.ainvoke(
        {"target": DIFF}, config, context=Context(base_url=os.environ["OPENAI_BASE_URL"])
    )
    return dict((await app.aget_state(config)).values["draft"])


async def test_three_problems_on_overlapping_lines_stay_three_comments_each_with_its_suggestion(
    model_env: ModelServer,
) -> None:
    model_env.handler = model()
    draft = await review(model_env)
    shape = [
        (c["category"], c["severity"], c["start_line"], c["end_line"], len(c["perspectives"]))
        for c in draft["comments"]
    ]
    assert shape == [
        ("sql-injection", "critical", 4, 4, 1),
        ("n-plus-one", "medium", 3, 4, 1),
        ("long-function", "low", 1, 6, 1),
    ]
    injection = draft["comments"][0]
    assert f"```suggestion\n{FIX}\n```" in injection["body"]
    assert draft["disagreements"] == []
    assert draft["verdict"] == "REQUEST_CHANGES"
    # The orchestrator was asked whether the overlapping comments are one problem.
    (asked,) = [r for r in model_env.requests if which(r) == "orchestrator"]
    overlaps = asked.user.split("Overlapping comments", 1)[1]
    assert all(c["id"] in overlaps for c in draft["comments"])


async def test_comments_the_orchestrator_judges_one_problem_become_one_that_keeps_the_worst(
    model_env: ModelServer,
) -> None:
    judged = {"titles": ["SQL built from input", "Query per name"], "reason": "Both the query."}
    model_env.handler = model(same_problem=[judged])
    draft = await review(model_env)
    joined, style = draft["comments"]
    assert [p["specialist"] for p in joined["perspectives"]] == ["security", "performance"]
    assert (joined["severity"], joined["start_line"], joined["end_line"]) == ("critical", 3, 4)
    assert joined["suggestion"] == FIX  # kept, shown as a replacement for line 4 only
    assert style["category"] == "long-function"
    assert draft["verdict"] == "REQUEST_CHANGES"
    (disagreement,) = draft["disagreements"]
    assert disagreement["positions"] == {"security": "critical", "performance": "medium"}
    assert any("judged" in n and "Both the query." in n for n in draft["notes"])


async def test_the_orchestrator_cannot_join_comments_that_do_not_overlap(
    model_env: ModelServer,
) -> None:
    panel = {**PANEL, "style": [finding(6, 6, "low", "dead-code", "Return None is noise")]}
    judged = {"titles": ["SQL built from input", "Return None is noise"], "reason": "Same."}
    model_env.handler = model(same_problem=[judged], panel=panel)
    draft = await review(model_env)
    assert [c["category"] for c in draft["comments"]] == [
        "sql-injection",
        "n-plus-one",
        "dead-code",
    ]
    assert draft["summary"].endswith("Looks fine to me.")  # the orchestrator did answer
    assert "Same." not in json.dumps(draft)

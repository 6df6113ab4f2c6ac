"""Deterministic merging: duplicates, overlapping findings, ranking and the verdict rule."""

from __future__ import annotations

import pytest

from graph.context import Context
from graph.contracts import Finding, NoiseControl, Severity, Side, Verdict
from graph.errors import ConfigError
from services import diff as diffs
from services import merge, noise

DIFF = """\
--- a/app.py
+++ b/app.py
@@ -1,2 +1,8 @@
 a = 1
+b = 2
+c = 3
+d = 4
+e = 5
+f = 6
+g = 7
 h = 8
"""
ANCHORS = diffs.Anchors(diffs.parse(DIFF))


def finding(specialist: str, start: int, end: int, severity: str, title: str = "t") -> Finding:
    return Finding(
        path="app.py",
        start_line=start,
        end_line=end,
        severity=Severity(severity),
        category="c",
        title=title,
        rationale=f"{specialist} says {title}",
        specialist=specialist,
    )


def test_exact_duplicates_from_one_specialist_collapse_to_the_most_severe() -> None:
    out = merge.dedupe([finding("security", 2, 2, "low"), finding("security", 2, 2, "high")])
    assert [f.severity for f in out] == [Severity.HIGH]


def test_overlapping_findings_of_two_specialists_become_one_comment_with_both_views() -> None:
    (comment,) = merge.merge(
        [finding("security", 2, 3, "critical", "injection"), finding("style", 3, 4, "low", "name")],
        ANCHORS,
    )
    assert [p.specialist for p in comment.perspectives] == ["security", "style"]
    assert comment.severity == Severity.CRITICAL
    assert (comment.start_line, comment.end_line) == (2, 4)
    assert comment.disagreement
    assert comment.anchor is not None and (comment.anchor.start_line, comment.anchor.line) == (2, 4)


def test_separate_lines_stay_separate_and_are_ranked_by_severity() -> None:
    comments = merge.merge(
        [
            finding("style", 2, 2, "low"),
            finding("security", 6, 6, "high"),
            finding("performance", 4, 4, "medium"),
        ],
        ANCHORS,
    )
    assert [c.severity for c in comments] == [Severity.HIGH, Severity.MEDIUM, Severity.LOW]
    assert len({c.id for c in comments}) == 3


def test_finding_off_the_diff_has_no_anchor() -> None:
    (comment,) = merge.merge([finding("security", 40, 41, "high")], ANCHORS)
    assert comment.anchor is None


def test_verdict_rule_requests_changes_only_for_high_or_worse() -> None:
    low = merge.merge([finding("style", 2, 2, "medium")], ANCHORS)
    high = merge.merge([finding("security", 2, 2, "high")], ANCHORS)
    assert merge.verdict(low)[0] == Verdict.COMMENT
    verdict, reason = merge.verdict(high)
    assert verdict == Verdict.REQUEST_CHANGES
    assert "high or worse" in reason


def test_comment_ids_are_stable_across_runs() -> None:
    first = merge.merge([finding("security", 2, 2, "high")], ANCHORS)
    again = merge.merge([finding("security", 2, 2, "high")], ANCHORS)
    assert first[0].id == again[0].id
    assert first[0].side == Side.RIGHT


# --- one view per specialist and category --------------------------------------------------


def test_one_specialist_flagging_one_problem_twice_is_one_view_the_surest() -> None:
    model = finding("security", 2, 2, "critical", "Secret committed")
    pattern = finding("security", 2, 2, "critical", "GitHub token committed").model_copy(
        update={"confidence": 0.95}
    )
    (comment,) = merge.merge([model, pattern], ANCHORS)
    assert [p.title for p in comment.perspectives] == ["GitHub token committed"]
    assert not comment.disagreement


def test_perspectives_keep_each_specialists_category() -> None:
    unchecked = finding("security", 3, 3, "high").model_copy(
        update={"category": "missing-input-validation"}
    )
    none = finding("correctness", 3, 3, "medium").model_copy(update={"category": "null-handling"})
    (comment,) = merge.merge([unchecked, none], ANCHORS)
    assert [(p.specialist, p.category) for p in comment.perspectives] == [
        ("security", "missing-input-validation"),
        ("correctness", "null-handling"),
    ]


def kind(f: Finding, category: str, suggestion: str | None = None) -> Finding:
    return f.model_copy(update={"category": category, "suggestion": suggestion})


def test_different_problems_on_overlapping_lines_stay_separate_each_with_its_suggestion() -> None:
    # The example: a critical injection at 4, a performance note at 3-4 and a style
    # note at 1-6 are three problems, not one comment spanning 1-6.
    injection = kind(finding("security", 4, 4, "critical", "injection"), "sql-injection", "q(x)")
    slow = kind(finding("performance", 3, 4, "medium", "slow"), "n-plus-one", "batch()")
    long_ = kind(finding("style", 1, 6, "low", "long"), "long-function", None)
    comments = merge.merge([injection, slow, long_], ANCHORS)
    assert [(c.category, c.severity, c.start_line, c.end_line) for c in comments] == [
        ("sql-injection", Severity.CRITICAL, 4, 4),
        ("n-plus-one", Severity.MEDIUM, 3, 4),
        ("long-function", Severity.LOW, 1, 6),
    ]
    assert [c.suggestion for c in comments] == ["q(x)", "batch()", None]
    assert not any(c.disagreement for c in comments)
    assert len({c.id for c in comments}) == 3
    assert merge.verdict(comments)[0] == Verdict.REQUEST_CHANGES


def test_one_problem_named_in_one_family_is_one_comment_and_keeps_a_suggestion() -> None:
    sql = kind(finding("security", 3, 3, "high", "injection"), "sql-injection")
    shell = kind(finding("correctness", 3, 4, "medium", "quoting"), "command-injection", "run()")
    (comment,) = merge.merge([sql, shell], ANCHORS)
    assert comment.disagreement  # the same problem, rated differently
    assert comment.suggestion == "run()"


def test_other_is_one_problem_with_another_only_under_the_same_title() -> None:
    a = kind(finding("security", 3, 3, "low", "Odd default"), "other")
    b = kind(finding("style", 3, 3, "info", "odd  default"), "other")
    c = kind(finding("performance", 3, 3, "low", "Something else"), "other")
    assert sorted(len(c.perspectives) for c in merge.merge([a, b, c], ANCHORS)) == [1, 2]


# --- noise control ---------------------------------------------------------------------------

CODE = noise.code_lines(diffs.parse(DIFF))


def quiet(**settings: object) -> NoiseControl:
    return NoiseControl.model_validate(settings)


def said(specialist: str, line: int, title: str, rationale: str, **extra: object) -> Finding:
    return finding(specialist, line, line, "medium", title).model_copy(
        update={"rationale": rationale, **extra}
    )


def test_a_title_that_is_the_code_itself_restates_it() -> None:
    assert noise.restates_code(said("style", 3, "c = 3", "It sets c."), "c = 3")


def test_a_rationale_made_of_the_codes_own_words_restates_it() -> None:
    code = "total = price * quantity"
    assert noise.restates_code(said("style", 3, "Total", "total = price * quantity."), code)


def test_a_rationale_that_says_what_to_change_is_kept() -> None:
    code = 'query = f"SELECT * FROM users WHERE name = {name}"'
    kept = said("security", 3, "SQL built from input", "Use a bound parameter instead of {name}.")
    assert not noise.restates_code(kept, code)


def test_a_finding_with_a_suggestion_is_never_a_restatement() -> None:
    f = said("style", 3, "c = 3", "c = 3", suggestion="count = 3")
    assert not noise.restates_code(f, "c = 3")


def test_nothing_restates_a_line_without_words() -> None:
    assert not noise.restates_code(said("style", 3, "}", "}"), "}")


def test_select_drops_low_unsure_and_restating_findings_and_says_so() -> None:
    findings = [
        finding("security", 2, 2, "high", "real problem"),
        finding("style", 3, 3, "info", "too minor"),
        finding("performance", 4, 4, "high", "a guess").model_copy(update={"confidence": 0.2}),
        said("style", 5, "e = 5", "Sets e to 5."),
    ]
    kept, notes = noise.select(findings, quiet(min_severity="low", min_confidence=0.5), CODE, {})
    assert [f.title for f in kept] == ["real problem"]
    assert notes == [
        "1 finding(s) below low left out",
        "1 finding(s) with confidence below 0.5 left out",
        "1 finding(s) that only restated the code left out",
    ]


def test_a_severity_outside_the_scale_is_clamped_to_the_nearest_lower_on_a_tie() -> None:
    assert noise.clamp(Severity.CRITICAL, [Severity.INFO, Severity.LOW]) == Severity.LOW
    assert noise.clamp(Severity.MEDIUM, [Severity.LOW, Severity.HIGH]) == Severity.LOW
    assert noise.clamp(Severity.INFO, [Severity.MEDIUM, Severity.HIGH]) == Severity.MEDIUM
    assert noise.clamp(Severity.HIGH, []) == Severity.HIGH


def test_clamping_happens_before_the_severity_threshold() -> None:
    loud = finding("style", 2, 2, "critical", "long function")
    kept, notes = noise.select(
        [loud], quiet(min_severity="medium"), CODE, {"style": [Severity.INFO, Severity.LOW]}
    )
    assert kept == []  # clamped to low, then below medium
    assert notes[0] == "1 finding(s) outside their specialist's severity scale clamped"


# --- where the thresholds come from ----------------------------------------------------------


def test_each_threshold_comes_from_the_run_then_the_repository_then_the_default() -> None:
    repo, problem = noise.parse_repo_settings("min_severity: high\nmin_confidence: 0.8\n", "f")
    assert problem == ""
    effective = noise.effective(Context(min_confidence=0.3), repo)
    assert (effective.min_severity, effective.min_confidence, effective.max_inline_comments) == (
        Severity.HIGH,
        0.3,
        25,
    )
    assert effective.sources == {
        "min_severity": "repository",
        "min_confidence": "run",
        "max_inline_comments": "default",
    }


def test_an_environment_variable_is_a_run_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_PANEL_MAX_COMMENTS", "3")
    repo, _ = noise.parse_repo_settings("max_inline_comments: 10", "f")
    effective = noise.effective(Context(), repo)
    assert (effective.max_inline_comments, effective.sources["max_inline_comments"]) == (3, "run")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("min_severty: high", "ignored f: unknown key 'min_severty' (allowed: min_severity"),
        ("min_confidence: 2", "ignored f: key 'min_confidence': Input should be less than"),
        ("min_severity: urgent", "ignored f: key 'min_severity': Input should be"),
        ("- a list", "ignored f: expected a mapping of min_severity"),
        ("a: [", "ignored f: not valid YAML"),
    ],
)
def test_a_repository_file_that_does_not_validate_is_ignored_with_the_reason(
    text: str, problem: str
) -> None:
    settings, why = noise.parse_repo_settings(text, "f")
    assert settings is None
    assert why.startswith(problem)


def test_an_empty_repository_file_sets_nothing() -> None:
    settings, why = noise.parse_repo_settings("", "f")
    assert settings == noise.RepoSettings() and why == ""


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REVIEW_PANEL_MIN_CONFIDENCE", "1.5", "min_confidence must be between 0 and 1"),
        ("REVIEW_PANEL_MIN_SEVERITY", "urgent", "REVIEW_PANEL_MIN_SEVERITY='urgent' is not valid"),
        ("REVIEW_PANEL_MAX_COMMENTS", "-1", "max_inline_comments must be >= 0"),
    ],
)
def test_a_bad_noise_setting_is_a_one_line_config_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):
        Context()


def test_a_bad_severity_flag_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="min_severity 'urgent' is not one of info, low, medium"):
        Context.from_overrides(min_severity="urgent")

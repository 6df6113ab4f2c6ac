"""The Code Review Benchmark's arithmetic (evals/crb/score.py), on hand-computed examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.crb.golden import DATA, GoldenError, load_golden
from evals.crb.score import PUBLISHED, Totals, Verdict, score_pr, totals

YES, NO = Verdict(True, 0.9), Verdict(False, 0.9)


def test_a_golden_comment_matched_by_one_comment_is_a_true_positive() -> None:
    # 2 golden, 3 comments: golden 0 matched by comment 1; comments 0 and 2 match nothing.
    s = score_pr(2, 3, {(0, 0): NO, (0, 1): YES, (0, 2): NO, (1, 0): NO, (1, 1): NO})
    assert (s.tp, s.fp, s.fn) == (1, 2, 1)
    assert s.matched == ((0, 1),)


def test_a_second_comment_on_a_matched_issue_counts_only_if_more_confident() -> None:
    """The benchmark's rule: a match must beat the best confidence so far for that golden."""
    rising = score_pr(1, 2, {(0, 0): Verdict(True, 0.6), (0, 1): Verdict(True, 0.8)})
    assert (rising.tp, rising.fp, rising.fn) == (1, 0, 0)  # both marked on the way up
    falling = score_pr(1, 2, {(0, 0): Verdict(True, 0.8), (0, 1): Verdict(True, 0.6)})
    assert (falling.tp, falling.fp, falling.fn) == (1, 1, 0)
    assert falling.matched == ((0, 0),)


def test_one_comment_may_match_two_golden_comments() -> None:
    s = score_pr(2, 1, {(0, 0): YES, (1, 0): YES})
    assert (s.tp, s.fp, s.fn) == (2, 0, 0)


def test_judge_errors_and_zero_confidence_matches_count_as_no_match() -> None:
    failed = Verdict(True, 0.9, error="timed out")
    s = score_pr(2, 1, {(0, 0): failed, (1, 0): Verdict(True, 0.0)})
    assert (s.tp, s.fp, s.fn) == (0, 1, 2)


def test_no_comments_leaves_every_golden_comment_a_false_negative() -> None:
    assert score_pr(3, 0, {}) == score_pr(3, 0, {(0, 0): YES})
    assert (score_pr(3, 0, {}).tp, score_pr(3, 0, {}).fn) == (0, 3)


def test_precision_recall_and_f1_over_the_whole_set() -> None:
    # PR a: TP 1 FP 2 FN 1; PR b: TP 2 FP 0 FN 1; PR c: TP 0 FP 1 FN 0 -> TP 3 FP 3 FN 2.
    a = score_pr(2, 3, {(0, 1): YES})
    b = score_pr(3, 2, {(0, 0): YES, (1, 1): YES})
    c = score_pr(0, 1, {})
    t = totals([a, b, c])
    assert (t.tp, t.fp, t.fn) == (3, 3, 2)
    assert t.precision == pytest.approx(3 / 6)
    assert t.recall == pytest.approx(3 / 5)
    assert t.f1 == pytest.approx(2 * 0.5 * 0.6 / 1.1)  # 0.5454...
    assert Totals(0, 0, 0).f1 == 0.0 and Totals(0, 4, 0).precision == 0.0


def test_the_published_figures_follow_from_their_counts() -> None:
    for name, (p, r, f1, tp, fp, fn) in PUBLISHED.items():
        t = Totals(tp, fp, fn)
        assert (t.precision, t.recall, t.f1) == pytest.approx((p, r, f1), abs=0.001), name
    assert PUBLISHED["augment (best F1)"][:3] == (0.470, 0.628, 0.538)


def test_the_shipped_golden_set_is_the_benchmarks_fifty_prs_and_137_issues() -> None:
    prs = load_golden()
    assert len(prs) == 50 and sum(len(p.comments) for p in prs) == 137
    assert {p.source for p in prs} == {
        "cal_dot_com.json",
        "discourse.json",
        "grafana.json",
        "keycloak.json",
        "sentry.json",
    }
    assert (DATA / "LICENSE").read_text().startswith("MIT License")
    assert "012d68202e56280855b85abb956410086008a7b2" in (DATA / "SOURCE.md").read_text()


def test_a_golden_file_that_does_not_fit_names_the_file_and_the_entry(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('[{"url": "https://github.com/o/r/pull/1"}]')
    with pytest.raises(GoldenError, match=r"a\.json: entry 0: needs url and comments"):
        load_golden(tmp_path)
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(GoldenError, match=r"a\.json: cannot read it"):
        load_golden(tmp_path)
    with pytest.raises(GoldenError, match="no golden comment files"):
        load_golden(tmp_path / "missing")

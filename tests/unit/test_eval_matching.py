"""How the eval harness decides that a comment found a labelled problem (evals/metrics.py).

A comment answers a label when it cites a line within TOLERANCE lines of the labelled
lines, is not SLACK lines wider than them, and carries a category that maps to the label's;
each label is answered at most once, by a largest one-to-one pairing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cases import Expected, load_cases
from evals.categories import ALIASES, LIST_TO_LABEL, canonical, declared, family, same
from evals.metrics import SLACK, TOLERANCE, CaseResult, Comment, by_category, overall

SQL = Expected("app.py", 10, 11, "sql-injection")


def result(*comments: Comment, expected: tuple[Expected, ...] = (SQL,)) -> CaseResult:
    return CaseResult("case", list(expected), list(comments))


def sqli(start: int, end: int | None = None, path: str = "app.py") -> Comment:
    return Comment.of(path, start, start if end is None else end, ["SQL injection"])


def test_the_stated_tolerance_is_three_lines_either_side() -> None:
    assert TOLERANCE == 3
    assert result(sqli(10 - TOLERANCE)).found == [True]
    assert result(sqli(11 + TOLERANCE)).found == [True]
    assert result(sqli(10 - TOLERANCE - 1)).found == [False]
    assert result(sqli(11 + TOLERANCE + 1)).found == [False]


def test_a_comment_spanning_far_more_than_the_labelled_lines_locates_nothing() -> None:
    assert result(sqli(5, 5 + 1 + SLACK)).found == [True]  # 2 labelled lines + SLACK
    assert result(sqli(5, 5 + 2 + SLACK)).found == [False]
    assert result(sqli(1, 200)).found == [False]


def test_the_right_line_in_another_file_or_an_old_line_is_a_miss() -> None:
    assert result(sqli(10, path="other.py")).found == [False]
    assert result(Comment.of("app.py", 10, 10, ["sqli"], side="LEFT")).found == [False]


def test_a_comment_on_the_right_line_with_an_unrelated_category_is_a_miss() -> None:
    only = result(Comment.of("app.py", 10, 10, ["naming"]))
    assert only.found == [False] and only.correct == [False]


def test_each_label_is_answered_at_most_once_and_a_repeat_is_a_false_positive() -> None:
    twice = result(sqli(10), sqli(11))
    assert twice.found == [True]
    assert twice.correct == [True, False]
    score = overall([twice])
    assert (score.found, score.correct, score.comments) == (1, 1, 2)
    assert score.precision == pytest.approx(0.5)


def test_the_pairing_is_the_largest_one_whatever_the_order() -> None:
    """Line 12 could answer either label, line 16 only the one at 14: both are found."""
    near = Expected("app.py", 14, 14, "sql-injection")
    for labels in ((SQL, near), (near, SQL)):
        for comments in ((sqli(12), sqli(16)), (sqli(16), sqli(12))):
            r = result(*comments, expected=labels)
            assert r.found == [True, True] and r.correct == [True, True]


def test_one_comment_merging_two_views_may_answer_two_labels_on_its_lines() -> None:
    loop = Expected("app.py", 10, 11, "n-plus-one")
    merged = Comment.of("app.py", 11, 11, ["sql-injection", "N+1 query"])
    r = result(merged, expected=(SQL, loop))
    assert r.found == [True, True] and r.correct == [True]
    cats = by_category([r])
    assert (cats["sql-injection"].correct, cats["n-plus-one"].correct) == (1, 1)


def test_a_family_name_answers_any_member_of_its_family() -> None:
    assert result(Comment.of("app.py", 10, 10, ["injection"])).found == [True]
    bug = Expected("app.py", 3, 3, "null-handling")
    assert result(Comment.of("app.py", 3, 3, ["bug"]), expected=(bug,)).found == [True]
    assert not same("injection", "null-handling")
    assert not same("performance", "n-plus-one")  # only injection and bug name a family


@pytest.mark.parametrize(
    ("said", "means"),
    [
        ("SQL Injection", "sql-injection"),
        ("sqli", "sql-injection"),
        ("N+1 query", "n-plus-one"),
        ("query-in-loop", "n-plus-one"),
        ("O(n^2) membership test", "quadratic"),
        ("Hard-coded secret", "hardcoded-secret"),
        ("off-by-one", "logic-error"),
        ("Possible None dereference", "null-handling"),
        ("race condition", "race-condition"),
        ("Commented-out code", "dead-code"),
        ("unsafe yaml-load", "unsafe-deserialization"),
    ],
)
def test_free_text_categories_map_onto_label_categories(said: str, means: str) -> None:
    assert canonical(said) == means


@pytest.mark.parametrize(
    "said",
    ["inefficient-query", "filename", "complexity", "performance", "password-hashing", "style"],
)
def test_near_miss_words_map_to_no_label_category(said: str) -> None:
    """Aliases match whole words: an inefficient query is not quadratic work."""
    assert canonical(said) not in ALIASES


def test_every_category_a_specialist_may_answer_with_maps_as_its_list_says() -> None:
    """A list category is the label category of that name, or LIST_TO_LABEL's, or nothing:
    never a neighbour found by its words (code-injection is not sql-injection)."""
    from services.prompts import load_roster

    lists = {c for p in load_roster() for c in (p.category_list or ())}
    assert {"inefficient-query", "quadratic", "code-injection", "other"} <= lists
    assert lists <= declared()
    for name in lists:
        assert canonical(name) == LIST_TO_LABEL.get(name, name), name
    assert canonical("inefficient-query") != "quadratic"
    assert canonical("code-injection") != "sql-injection"


def test_every_label_category_a_specialist_covers_is_named_as_in_its_list() -> None:
    """So the panel can answer each label with a category from its own list."""
    from services.prompts import load_roster

    lists = {c for p in load_roster() for c in (p.categories or ())}
    answerable = lists | {LIST_TO_LABEL[c] for c in lists if c in LIST_TO_LABEL}
    used = {e.category for case in load_cases() for e in case.expected}
    covered_families = {family(c) for c in used & answerable}
    missing = {c for c in used - answerable if family(c) in covered_families}
    assert not missing, (
        f"labels named unlike any list category: {sorted(missing)}; name them as the list does "
        "or map the list's name to them in LIST_TO_LABEL (evals/categories.py)"
    )


def test_the_generalist_answers_from_the_union_of_the_specialists_lists(tmp_path: Path) -> None:
    from evals.run import generalist_prompts
    from services.prompts import default_prompts_dir, load_roster

    folder = generalist_prompts(default_prompts_dir(), tmp_path)
    (generalist,) = load_roster(folder)
    panel = {c for p in load_roster() for c in (p.categories or ())}
    assert generalist.name == "generalist"
    assert set(generalist.categories or ()) == panel

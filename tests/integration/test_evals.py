"""The eval harness: its arithmetic on known results, and a smoke run of ``python -m evals.run``
against the loopback model (the rule-based panel model), as CI runs it.

With the loopback model the figures say nothing about review quality; what is checked is that
the harness runs both reviewers through the real graph and that every printed figure follows
from the per-case results.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from unidiff import PatchSet

from evals import report
from evals.cases import Expected, load_cases
from evals.categories import family
from evals.metrics import CaseResult, Comment, by_category, overall
from tests.conftest import ROOT
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import answer, which

# --- the arithmetic, on results whose figures are known ------------------------------------

WHO = ("generalist", "security")
SQL = Expected("app.py", 10, 11, "sql-injection")
LOOP = Expected("app.py", 10, 11, "n-plus-one")
SECRET = Expected("cfg.py", 3, 3, "hardcoded-secret")


def known_results() -> list[CaseResult]:
    """Three cases: 3 expected findings, 2 found; 5 comments, 2 of them correct."""
    return [
        CaseResult(  # one merged comment answers both expected findings; one false positive
            "a",
            [SQL, LOOP],
            [
                Comment.of("app.py", 11, 12, ["SQL Injection", "N+1 query"]),
                Comment.of("app.py", 30, 30, ["naming"]),
            ],
        ),
        CaseResult(  # the secret is missed: right line, wrong file; and a stray comment
            "b",
            [SECRET],
            [Comment.of("other.py", 3, 3, ["secret"]), Comment.of("cfg.py", 9, 9, ["naming"])],
        ),
        CaseResult("clean", [], [Comment.of("x.py", 1, 1, ["magic number"])]),  # all noise
    ]


def test_overall_precision_recall_and_comments_per_pr() -> None:
    score = overall(known_results())
    assert (score.expected, score.found, score.comments, score.correct) == (3, 2, 5, 1)
    assert score.recall == pytest.approx(2 / 3)
    assert score.precision == pytest.approx(1 / 5)
    assert score.comments_per_pr == pytest.approx(5 / 3)


def test_per_category_figures() -> None:
    scores = by_category(known_results())
    figures = {k: (s.expected, s.found, s.comments, s.correct) for k, s in scores.items()}
    assert figures == {
        "hardcoded-secret": (1, 0, 1, 0),
        "magic-number": (0, 0, 1, 0),
        "n-plus-one": (1, 1, 1, 1),
        "naming": (0, 0, 2, 0),
        "sql-injection": (1, 1, 1, 1),
    }
    assert scores["naming"].precision == 0.0 and scores["naming"].recall is None
    assert scores["naming"].comments_per_pr == pytest.approx(2 / 3)


def test_a_comment_on_an_old_line_never_matches() -> None:
    result = CaseResult("a", [SQL], [Comment.of("app.py", 10, 10, ["sqli"], side="LEFT")])
    assert result.found == [False] and result.correct == [False]


def generalist_results() -> list[CaseResult]:
    """The same three cases, all found, with no noise: 3 of 3 found, 2 of 2 comments correct."""
    return [
        CaseResult("a", [SQL, LOOP], [Comment.of("app.py", 10, 10, ["sqli", "n-plus-one"])]),
        CaseResult("b", [SECRET], [Comment.of("cfg.py", 1, 5, ["hardcoded-secret"])]),
        CaseResult("clean", [], []),
    ]


def test_the_text_report_prints_those_figures_side_by_side() -> None:
    text = report.text({"panel": known_results(), "generalist": generalist_results()}, "m")
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert rows["panel"][1:9] == ["0.20", "0.67", "1.67", "5", "1", "2", "3", "0"]
    assert rows["generalist"][1:9] == ["1.00", "1.00", "0.67", "2", "2", "3", "3", "0"]
    assert rows["sql-injection"] == ["sql-injection", "1"] + ["1.00", "/", "1.00", "/", "0.33"] * 2
    assert rows["naming"] == ["naming", "0", "-", "/", "0.00", "/", "0.67", "-"]
    assert rows["b"] == ["b", "0/1,", "2", "1/1,", "1"]


def test_the_labelled_set_is_large_varied_and_one_third_clean() -> None:
    cases = load_cases()
    assert len(cases) >= 40
    assert 3 * sum(c.clean for c in cases) >= len(cases)  # false positives count
    logic = [c for c in cases if any(family(e.category) == "bug" for e in c.expected)]
    assert len(logic) >= 12
    patches = {c.name: PatchSet(c.diff) for c in cases}
    languages = {
        {
            ".py": "Python",
            ".ts": "TypeScript",
            ".tsx": "TypeScript",
            ".go": "Go",
            ".java": "Java",
        }.get(Path(f.path).suffix)
        for patch in patches.values()
        for f in patch
    }
    assert {"Python", "TypeScript", "Go", "Java"} <= languages
    multi_file = [n for n, p in patches.items() if len(p) > 1]
    multi_hunk = [n for n, p in patches.items() if any(len(f) > 1 for f in p)]
    assert len(multi_file) >= 5 and len(multi_hunk) >= 5
    planted = {e.category for c in cases for e in c.expected}
    assert {
        "sql-injection",
        "command-injection",
        "hardcoded-secret",
        "unsafe-deserialization",
        "n-plus-one",
        "quadratic",
        "resource-leak",
        "naming",
        "duplication",
        "logic-error",
        "null-handling",
        "error-handling",
        "race-condition",
        "broken-contract",
    } <= planted


def test_every_label_is_on_lines_the_change_adds() -> None:
    """Labels are exact: each labelled line is an added line of the labelled file."""
    for case in load_cases():
        added = {
            (f.path, line.target_line_no)
            for f in PatchSet(case.diff)
            for hunk in f
            for line in hunk
            if line.is_added
        }
        for e in case.expected:
            assert {(e.file, n) for n in (e.start, e.end)} <= added, (case.name, e)


# --- the harness end to end, against the loopback model ------------------------------------


def run_evals(
    model_server: ModelServer, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "REVIEW_PANEL_"))}
    full = {
        **clean,
        "OPENAI_BASE_URL": model_server.base_url,
        "OPENAI_API_KEY": "sk-test-model-key-123456",
        "REVIEW_PANEL_MAX_RETRIES": "0",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "evals.run", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of both reviewers over the whole set: the text report, and the JSON in a file."""
    out = tmp_path_factory.mktemp("evals") / "report.json"
    with ModelServer(answer) as server:
        as_text = run_evals(server, "--json-file", str(out))
        systems = [r.system for r in server.requests]
        prompts = [r.prompt_text for r in server.requests]
        diffs = [r.user for r in server.requests if which(r) != "orchestrator"]
        diffs = [d.split("<untrusted_diff>", 1)[-1] for d in diffs]
    assert as_text.returncode == 0, as_text.stderr
    return {
        "data": json.loads(out.read_text(encoding="utf-8")),
        "text": as_text.stdout,
        "systems": systems,
        "prompts": prompts,
        "reviewed": diffs,
    }


def test_no_case_name_file_name_or_label_reaches_the_model(smoke: dict[str, Any]) -> None:
    """The model sees a diff as a user's, never what the harness knows about it."""
    sent = "\n".join(smoke["prompts"])
    assert "Change under review: local diff" in sent
    for case in load_cases():
        told = [case.name, f"{case.name}.diff", case.description, "expected.yaml"]
        assert not [t for t in told if t in sent], case.name
    # The diffs the reviewers are shown carry no label's category either.
    labels = {e.category for case in load_cases() for e in case.expected}
    shown = "\n".join(smoke["reviewed"])
    assert not [k for k in labels if k in shown]


def test_both_reviewers_run_every_case_through_the_graph(smoke: dict[str, Any]) -> None:
    reviewers = smoke["data"]["reviewers"]
    names = [c.name for c in load_cases()]
    for name in ("panel", "generalist"):
        assert [c["case"] for c in reviewers[name]["cases"]] == names
        assert not [c for c in reviewers[name]["cases"] if c["failures"]]
    # Each reviewer was asked about every case it had a file for (security skips *.md), once.
    asked = {who: sum(f"{who} reviewer" in s for s in smoke["systems"]) for who in WHO}
    assert asked == {"generalist": len(names), "security": len(names) - 1}


def test_printed_figures_follow_from_the_per_case_results(smoke: dict[str, Any]) -> None:
    for name, run in smoke["data"]["reviewers"].items():
        cases = run["cases"]
        expected = sum(len(c["expected"]) for c in cases)
        found = sum(sum(c["found"]) for c in cases)
        comments = sum(len(c["comments"]) for c in cases)
        correct = sum(sum(c["correct"]) for c in cases)
        figures = run["overall"]
        assert (figures["expected"], figures["found"]) == (expected, found)
        assert (figures["comments"], figures["correct"]) == (comments, correct)
        assert figures["recall"] == pytest.approx(found / expected)
        assert figures["precision"] == pytest.approx(correct / comments)
        assert figures["comments_per_pr"] == pytest.approx(comments / len(cases))
        row = next(line.split() for line in smoke["text"].splitlines() if line.startswith(name))
        assert row[1:4] == [
            f"{correct / comments:.2f}",
            f"{found / expected:.2f}",
            f"{comments / len(cases):.2f}",
        ]


def test_the_rule_based_model_scores_as_its_rules_predict(smoke: dict[str, Any]) -> None:
    panel = {c["case"]: c for c in smoke["data"]["reviewers"]["panel"]["cases"]}
    assert panel["01-sql-injection-fstring"]["found"] == [True]
    assert panel["18-sql-injection-and-n-plus-one"]["found"] == [True, True]
    # Two problems on one line stay two comments, each answering its own label.
    both = panel["18-sql-injection-and-n-plus-one"]
    assert [c["categories"] for c in both["comments"]] == [["sql-injection"], ["n-plus-one"]]
    assert both["correct"] == [True, True]
    assert panel["13-resource-leak-file"]["found"] == [False]  # no rule for leaks
    assert panel["16-naming-misleading"]["correct"] == [False]  # .get() in a loop: a false N+1
    assert panel["38-ts-sql-injection-template-literal"]["found"] == [True]
    assert panel["25-logic-page-count-rounds-down"]["comments"] == []  # no rule for bugs
    # httpx.get() in a retry loop looks like an N+1 to the rules: a false positive, counted.
    retry = panel["47-clean-python-bounded-retry"]
    assert [c["categories"] for c in retry["comments"]] == [["n-plus-one"]]
    assert retry["correct"] == [False]
    for name, case in panel.items():
        if "-clean-" in name and name != "47-clean-python-bounded-retry":
            assert case["comments"] == [], name


def test_one_command_can_run_a_single_reviewer_on_some_cases(model_server: ModelServer) -> None:
    proc = run_evals(model_server, "--reviewer", "generalist", "--only", "injection", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert list(data["reviewers"]) == ["generalist"]
    cases = [c["case"] for c in data["reviewers"]["generalist"]["cases"]]
    assert cases and all("injection" in c for c in cases)
    assert not [r for r in model_server.requests if "security reviewer" in r.system]


def test_a_diff_without_an_entry_stops_the_run(model_server: ModelServer, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "evals" / "cases", tmp_path / "cases")
    shutil.copy(ROOT / "evals" / "expected.yaml", tmp_path / "expected.yaml")
    (tmp_path / "cases" / "99-new.diff").write_text("diff --git a/x b/x\n")
    proc = run_evals(model_server, "--cases", str(tmp_path))
    assert proc.returncode == 3
    assert proc.stderr.strip().endswith("no entry for cases/99-new.diff")


def test_no_model_configured_is_a_one_line_error(model_server: ModelServer) -> None:
    proc = run_evals(model_server, OPENAI_BASE_URL="", OPENAI_API_KEY="")
    assert proc.returncode == 2
    assert proc.stderr.startswith("evals: error: no model configured")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_concurrency_limit_as_small_as_the_roster_still_reviews(
    model_server: ModelServer,
) -> None:
    """REVIEW_PANEL_MAX_CONCURRENCY=3 bounds the model calls; it once stalled every case."""
    proc = run_evals(
        model_server,
        "--reviewer",
        "panel",
        "--only",
        "01-",
        "--json",
        REVIEW_PANEL_MAX_CONCURRENCY="3",
    )
    assert proc.returncode == 0, proc.stderr
    (case,) = json.loads(proc.stdout)["reviewers"]["panel"]["cases"]
    assert case["failures"] == [] and case["found"] == [True]

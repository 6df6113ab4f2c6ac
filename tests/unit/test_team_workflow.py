"""The Actions workflow in docs/team.md and action.yml: safe under ``pull_request_target``.

That trigger runs with the repository's secrets on a fork's PR; it is safe only while nothing
in the job checks out, installs or runs the PR's code. These tests hold the documented
workflow and the action to that.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def documented_workflow() -> dict[str, Any]:
    text = (ROOT / "docs" / "team.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```yaml\n(# \.github/workflows/.*?)```", text, flags=re.S)
    loaded: dict[str, Any] = yaml.safe_load(block)
    return loaded


def test_the_workflow_reviews_on_pull_request_target_and_reads_comments() -> None:
    workflow = documented_workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["pull_request_target"]["types"] == [
        "opened",
        "reopened",
        "ready_for_review",
        "synchronize",
    ]
    assert triggers["issue_comment"]["types"] == ["created"]
    assert workflow["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "statuses": "write",
        "issues": "write",
    }


def test_the_workflow_never_checks_out_or_runs_the_pull_requests_code() -> None:
    workflow = documented_workflow()
    text = yaml.safe_dump(workflow)
    assert "actions/checkout" not in text
    assert "pull_request.head" not in text
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    assert [s.get("uses", "").split("@")[0] for s in steps] == ["OWNER/review-panel"]
    assert not any("run" in s for s in steps)


def test_the_action_installs_its_own_code_and_runs_one_command() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    runs = [s["run"] for s in action["runs"]["steps"] if "run" in s]
    assert runs[-1].strip() == "review-panel github-event"
    assert any("${{ github.action_path }}" in r and "pip install" in r for r in runs)
    everything = yaml.safe_dump(action)
    assert "checkout" not in everything and "pull_request" not in everything

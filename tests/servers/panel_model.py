"""A rule-based stand-in for a model that reviews like the panel's prompts ask.

It reads the numbered diff the specialists are shown, applies a few regex rules per specialist
and answers with findings on the right lines, so end-to-end tests, the benchmark and the
eval harness's smoke run exercise the whole path (prompts, structured output, anchoring,
merging) through the real client with predictable results.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tests.servers.openai_server import ChatRequest, Reply

_FILE = re.compile(r'^### file (".*?") \(')
_LINE = re.compile(r"^(?P<new>[ \d]{6}) (?P<old>[ \d]{6}) (?P<marker>[+\- \\]) (?P<code>.*)$")


@dataclass
class Line:
    path: str
    new: int | None
    marker: str
    code: str


def numbered_lines(user: str) -> list[Line]:
    """The added/context lines of the numbered diff in a specialist's user message."""
    path = ""
    out: list[Line] = []
    for raw in user.splitlines():
        header = _FILE.match(raw)
        if header:
            path = json.loads(header.group(1))
            continue
        m = _LINE.match(raw)
        if m and path:
            new = m["new"].strip()
            out.append(Line(path, int(new) if new else None, m["marker"], m["code"]))
    return out


RULES: dict[str, list[tuple[re.Pattern[str], str, str, str]]] = {
    "security": [
        (
            re.compile(r"f[\"'].*\b(SELECT|INSERT|UPDATE|DELETE)\b", re.I),
            "sql-injection",
            "high",
            "SQL built from an f-string",
        ),
        (  # a JavaScript/TypeScript template literal splicing a value into an SQL clause
            re.compile(r"\b(WHERE|AND|OR|VALUES|SET)\b.*'%?\$\{"),
            "sql-injection",
            "high",
            "SQL built from a template literal",
        ),
        (
            re.compile(r"\[REDACTED [^\]]+\]|ghp_[A-Za-z0-9]{20,}|PRIVATE KEY"),
            "hardcoded-secret",
            "critical",
            "Secret committed to the repository",
        ),
        (
            re.compile(r"pickle\.loads|yaml\.load\((?!.*SafeLoader)"),
            "unsafe-deserialization",
            "high",
            "Unsafe deserialisation of untrusted data",
        ),
        (
            re.compile(r"ignore (all )?previous instructions|approve this (pr|pull request)", re.I),
            "prompt-injection",
            "medium",
            "Text that tries to instruct the reviewer",
        ),
        (
            re.compile(r"subprocess\.\w+\(.*shell=True|os\.system\("),
            "command-injection",
            "high",
            "Shell command built from input",
        ),
    ],
    "performance": [
        (
            re.compile(r"\.(query|execute|get)\(.*\)"),
            "n-plus-one",
            "high",
            "Query inside a loop (N+1)",
        ),
        (re.compile(r"\.count\(|\bin found\b"), "quadratic", "medium", "Quadratic work in a loop"),
    ],
    "correctness": [
        (re.compile(r"except(\s+\w+)?:\s*pass"), "error-handling", "medium", "Error swallowed"),
        (re.compile(r"\[len\([^)]*\)\]"), "off-by-one", "high", "Index one past the end"),
    ],
    "style": [
        (re.compile(r"^\s*def [a-z]\("), "naming", "low", "Function name says nothing"),
        (re.compile(r"\b\d+\.\d{3,}\b"), "magic-number", "low", "Magic number"),
        (re.compile(r"^\s*#\s*def "), "dead-code", "info", "Commented-out code"),
    ],
}

SPECIALIST_MARKERS = {
    "security": "security reviewer",
    "performance": "performance reviewer",
    "style": "style reviewer",
    "correctness": "correctness reviewer",
    "generalist": "generalist reviewer",  # evals/generalist: one reviewer, every rule
}


def which(request: ChatRequest) -> str:
    if "lead a code-review panel" in request.system:
        return "orchestrator"
    if "You verify the findings" in request.system:
        return "verifier"
    for name, marker in SPECIALIST_MARKERS.items():
        if marker in request.system:
            return name
    return "unknown"


def _rules_for(name: str) -> list[tuple[str, tuple[re.Pattern[str], str, str, str]]]:
    """(whose rule, rule) pairs: a specialist's own, or every one for the generalist."""
    return [(o, r) for o, rules in RULES.items() if name in (o, "generalist") for r in rules]


def findings_for(name: str, user: str) -> list[dict[str, Any]]:
    lines = numbered_lines(user)
    found: list[dict[str, Any]] = []
    in_loop_indent: int | None = None
    for line in lines:
        if line.new is None:
            continue
        indent = len(line.code) - len(line.code.lstrip())
        loop_here = in_loop_indent is not None and indent > in_loop_indent
        if re.match(r"\s*for .* in .*:", line.code) or re.search(r"\[.* for .* in .*\]", line.code):
            in_loop_indent = indent
            if "[" in line.code and " for " in line.code:
                loop_here = True
        elif in_loop_indent is not None and indent <= in_loop_indent and line.code.strip():
            in_loop_indent = None
        if line.marker != "+":
            continue
        for owner, (pattern, category, severity, title) in _rules_for(name):
            if not pattern.search(line.code):
                continue
            if owner == "performance" and not loop_here:
                continue
            found.append(
                {
                    "path": line.path,
                    "start_line": line.new,
                    "end_line": line.new,
                    "side": "RIGHT",
                    "severity": severity,
                    "category": category,
                    "title": title,
                    "rationale": f"{title} at line {line.new}.",
                    "suggestion": None,
                    "confidence": 0.9,
                }
            )
    return found


_DISAGREEMENT_IDS = re.compile(r'"id": "(c-[0-9a-f]+)"')


def answer(request: ChatRequest) -> Reply:
    """The handler: route by the system prompt, answer in the request's structured form."""
    name = which(request)
    if request.schema_name == "Ping":  # review-panel doctor's one tiny structured call
        return Reply.json({"ok": True})
    if name == "orchestrator":
        disputed = request.user.split("Disagreements to resolve:", 1)[-1]
        disputed = disputed.split("Overlapping comments", 1)[0]
        ids = _DISAGREEMENT_IDS.findall(disputed)
        return Reply.json(
            {
                "summary": "The panel reviewed the change. Fix the high-severity findings first.",
                "resolutions": [
                    {
                        "comment_id": i,
                        "resolution": "The more severe view holds.",
                        "severity": "high",
                    }
                    for i in ids
                ],
            }
        )
    if name == "verifier":  # the rule-based findings are right: every one holds
        numbers = [int(n) for n in re.findall(r'\{"finding": (\d+)', request.user)]
        checks = [
            {"finding": n, "reason": "The cited line says so.", "holds": True} for n in numbers
        ]
        return Reply.json({"checks": checks})
    if name == "unknown":
        return Reply.error(400, "unrecognised system prompt")
    return Reply.json({"findings": findings_for(name, request.user)})

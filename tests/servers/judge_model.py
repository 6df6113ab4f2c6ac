"""A scripted stand-in for the Code Review Benchmark's LLM judge, on the loopback model server.

The judge prompt (``evals/crb/judge.py``) puts a golden comment and a candidate comment side by
side. This judge says they match when both name the same topic word from ``TOPICS``; anything
else is no match. Predictable on purpose: tests compute the expected figures by hand.
"""

from __future__ import annotations

import re

from tests.servers.openai_server import ChatRequest, Reply
from tests.servers.panel_model import answer as panel_answer

JUDGE_MARKER = "precise code review evaluator"
TOPICS = ("injection", "secret", "quadratic", "race", "n+1")
_PAIR = re.compile(
    r"Golden Comment \(the issue we're looking for\):\n(?P<golden>.*?)\n\n"
    r"Candidate Issue \(from the tool's review\):\n(?P<candidate>.*?)\n\nInstructions:",
    re.S,
)


def pair(request: ChatRequest) -> tuple[str, str] | None:
    """(golden, candidate) of a judge request; None for any other request."""
    if JUDGE_MARKER not in request.system:
        return None
    m = _PAIR.search(request.user)
    return (m["golden"], m["candidate"]) if m else None


def judge_answer(request: ChatRequest) -> Reply:
    """The judge's verdict, in the structured form the request asks for."""
    found = pair(request)
    if found is None:
        return Reply.error(400, "not a judge request")
    golden, candidate = (t.lower() for t in found)
    shared = [t for t in TOPICS if t in golden and t in candidate]
    reasoning = f"both name {shared[0]}" if shared else "different issues"
    return Reply.json({"reasoning": reasoning, "match": bool(shared), "confidence": 0.9})


def answer(request: ChatRequest) -> Reply:
    """Judge requests to the judge, everything else to the rule-based panel model."""
    return judge_answer(request) if JUDGE_MARKER in request.system else panel_answer(request)

"""The LLM judge: do a review comment and a golden comment describe the same issue?

The prompt is the benchmark's own (``offline/code_review_benchmark/step3_judge_comments.py``
at commit 012d682, MIT), one call per (golden, candidate) pair, temperature 0. The call goes
through the product's model client (``services.model.call_structured``: structured output,
retries, one repair attempt) with the judge's own model name and, if given, base URL; the key
is ``OPENAI_API_KEY`` as for the panel. A call that fails is recorded as an error and counts
as no match, as the benchmark's scorer does.
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field

from evals.crb.score import Verdict
from graph.context import Context
from graph.errors import ModelError
from services.model import ModelChoice, call_structured

SYSTEM = "You are a precise code review evaluator. Always respond with valid JSON."

PROMPT = """You are evaluating AI code review tools.
Determine if the candidate issue matches the golden (expected) comment.

Golden Comment (the issue we're looking for):
{golden_comment}

Candidate Issue (from the tool's review):
{candidate}

Instructions:
- Determine if the candidate identifies the SAME underlying issue as the golden comment
- Accept semantic matches - different wording is fine if it's the same problem
- Focus on whether they point to the same bug, concern, or code issue

Respond with ONLY a JSON object:
{{"reasoning": "brief explanation", "match": true/false, "confidence": 0.0-1.0}}"""


class JudgeAnswer(BaseModel):
    """The judge's verdict on one pair (the benchmark's fields, in its order)."""

    model_config = ConfigDict(extra="forbid")

    reasoning: str = Field(description="Brief explanation.")
    match: bool = Field(description="Whether both describe the same underlying issue.")
    confidence: float = Field(description="0.0 to 1.0.")


def judge_context(panel: Context, model: str | None, base_url: str | None) -> Context:
    """The panel's settings with the judge's model (and endpoint, if another one)."""
    return replace(panel, model=model or panel.model, base_url=base_url or panel.base_url)


async def judge(context: Context, golden: str, candidate: str) -> Verdict:
    user = PROMPT.format(golden_comment=golden, candidate=candidate)
    try:
        answer, _ = await call_structured(
            context, ModelChoice(context.model, 0.0), JudgeAnswer, SYSTEM, user
        )
    except ModelError as exc:
        return Verdict(match=False, confidence=0.0, error=str(exc))
    confidence = min(1.0, max(0.0, answer.confidence))
    return Verdict(match=answer.match, confidence=confidence, reasoning=answer.reasoning)

"""The contracts between the specialists, the orchestrator, the human and the poster.

These pydantic models are the schema of everything that crosses a boundary: what a model
must answer (`SpecialistAnswer`, `SynthesisAnswer`), what the graph keeps in state
(`Finding`, `ChunkReport`, `DraftReview`, `ApprovedReview`, `PostResult`) and what a person
may answer to the approval interrupt (`ApprovalResponse`).

State holds them as JSON (``model_dump(mode="json")``) rather than as objects, so any
checkpointer (SQLite here, Postgres on LangGraph's server) stores and restores them without a
serializer allow-list; nodes validate them back with ``model_validate`` when they read.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)


class Severity(StrEnum):
    """A fixed scale, ordered from least to most serious."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = list(Severity)


class Side(StrEnum):
    """Which side of the diff a line number refers to, as GitHub names them."""

    RIGHT = "RIGHT"  # the new file: added and context lines
    LEFT = "LEFT"  # the old file: deleted lines


class Verdict(StrEnum):
    COMMENT = "COMMENT"
    REQUEST_CHANGES = "REQUEST_CHANGES"
    APPROVE = "APPROVE"  # only ever chosen by a person


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- what a specialist model answers -------------------------------------------------------


class ModelFinding(_Strict):
    """One problem a specialist found, citing new-file line numbers from the numbered diff.

    The order of the fields is the order a model writes them in: where, then *why*, and only
    then the title, category and severity, so the judgement follows the reasoning instead of
    the reasoning defending a severity already chosen.
    """

    path: str = Field(description="File path exactly as in the diff header.")
    start_line: int = Field(description="First line of the problem (new-file numbering).")
    end_line: int | None = Field(
        default=None,
        description="Last line of the problem when it spans several lines; null for one line.",
    )
    side: Side = Field(
        default=Side.RIGHT,
        description="RIGHT for added or unchanged lines, LEFT for deleted lines (old numbering).",
    )
    rationale: str = Field(
        description="First, the reasoning: what goes wrong, when, and what to do instead."
    )
    title: str = Field(description="One line that names the problem.")
    category: str = Field(description="The kind of problem, from the allowed list.")
    severity: Severity = Field(description="How serious, judged from the rationale above.")
    suggestion: str | None = Field(
        default=None,
        description="Replacement code for exactly start_line..end_line, or null.",
    )
    confidence: float = Field(default=0.7, ge=0.0, le=1.0, description="0..1")

    @model_validator(mode="before")
    @classmethod
    def _one_line(cls, data: Any) -> Any:
        # No end_line (or null, which strict schemas make models send) means one line.
        if isinstance(data, dict) and data.get("end_line") is None and "start_line" in data:
            data = {**data, "end_line": data["start_line"]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> ModelFinding:
        # Models often swap or repeat lines; a range is normalised, never rejected for order.
        if self.end_line is None:
            self.end_line = self.start_line
        if self.end_line < self.start_line:
            self.start_line, self.end_line = self.end_line, self.start_line
        if self.suggestion is not None and not self.suggestion.strip():
            self.suggestion = None
        return self

    @property
    def last_line(self) -> int:
        """The end of the cited range (``end_line`` is filled in on validation)."""
        return self.start_line if self.end_line is None else self.end_line


class SpecialistAnswer(_Strict):
    """The structured output every specialist call must produce.

    A specialist that declares its categories answers with ``answer_schema(categories)``,
    the same shape with ``category`` restricted to its list plus ``other``.
    """

    findings: list[ModelFinding] = Field(
        description="Problems found in the diff; an empty list when there is nothing to say."
    )


OTHER = "other"
CATEGORY_PATTERN = r"^[a-z][a-z0-9-]*$"


def category_slug(text: str) -> str:
    """A category as the lists spell them: lower case words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@functools.lru_cache(maxsize=64)
def answer_schema(categories: tuple[str, ...] | None) -> type[SpecialistAnswer]:
    """The answer schema of a specialist whose ``category`` comes from ``categories``.

    The list (plus ``other``) is an enum in the schema the model fills. A model that still
    names a category of its own (servers without strict schemas do) gets ``other`` rather
    than a failed call: the finding is worth more than its label.
    """
    if not categories:
        return SpecialistAnswer
    allowed = tuple(dict.fromkeys([*categories, OTHER]))

    def known(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        slug = category_slug(value)
        return slug if slug in allowed else OTHER

    finding = create_model(
        "ModelFinding",
        __base__=ModelFinding,
        __doc__=ModelFinding.__doc__,
        category=(  # type: ignore[arg-type]
            Annotated[Literal[allowed], BeforeValidator(known)],
            Field(description="The kind of problem: one of the listed values."),
        ),
    )
    return create_model(
        "SpecialistAnswer",
        __base__=SpecialistAnswer,
        __doc__=SpecialistAnswer.__doc__,
        findings=(list[finding], SpecialistAnswer.model_fields["findings"]),
    )


# --- what the graph keeps -------------------------------------------------------------------


class Finding(ModelFinding):
    """A model finding stamped by the node with the specialist that produced it."""

    end_line: int  # always set: a model's missing end_line is its start_line
    specialist: str
    id: str = ""

    @model_validator(mode="after")
    def _stable_id(self) -> Finding:
        if not self.id:
            key = "|".join(
                [
                    self.specialist,
                    self.path,
                    self.side,
                    str(self.start_line),
                    str(self.end_line),
                    self.title.strip().lower(),
                ]
            )
            self.id = "f-" + hashlib.sha256(key.encode()).hexdigest()[:10]
        return self


class Usage(_Strict):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class ChunkReport(_Strict):
    """What one specialist made of one chunk of the diff: findings, or why it could not."""

    specialist: str
    chunk: int
    paths: list[str]
    changed_lines: int
    status: Literal["ok", "failed", "skipped"]
    findings: list[Finding] = Field(default_factory=list)
    error: str | None = None
    notes: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    task: dict[str, Any] | None = None  # a failed call's state.SpecialistTask, for "retry"


class Anchor(_Strict):
    """Where GitHub will show an inline comment; always a line that is in the diff."""

    line: int
    side: Side
    start_line: int | None = None
    start_side: Side | None = None


class Perspective(_Strict):
    """One specialist's view of a commented location."""

    specialist: str
    severity: Severity
    title: str
    rationale: str
    confidence: float = 0.7
    category: str = ""  # the specialist's own category; the comment carries the lead one


# Why a comment is a list item of the review body instead of an inline comment: no line of it
# is on the diff (GitHub takes inline comments only there), it is on the context lines shown
# around a hunk (services/widen.py), or it is over the run's cap on
# inline comments, or (after a 422) GitHub refused it inline. Each reason is its own group.
InBody = Literal["off_diff", "context", "over_cap", "refused"]


class ReviewComment(_Strict):
    """One comment of the draft: a location, the merged perspectives and the words to post."""

    id: str
    path: str
    start_line: int
    end_line: int
    side: Side
    severity: Severity
    category: str
    title: str
    body: str
    perspectives: list[Perspective]
    suggestion: str | None = None
    anchor: Anchor | None = None  # None: not on a diff line, so it goes into the review body
    in_body: InBody | None = None  # why a comment without an anchor is in the body
    resolution: str | None = None  # the orchestrator's word where specialists disagree

    @property
    def disagreement(self) -> bool:
        """Two or more reviewers rate the problem differently (one reviewer cannot disagree)."""
        reviewers = {p.specialist for p in self.perspectives}
        return len(reviewers) > 1 and len({p.severity for p in self.perspectives}) > 1


class Disagreement(_Strict):
    comment_id: str
    positions: dict[str, Severity]
    resolution: str


class Coverage(_Strict):
    """What each specialist read, and what nobody did and why."""

    reviewed: dict[str, dict[str, int]] = Field(default_factory=dict)  # specialist -> files/lines
    skipped: dict[str, str] = Field(default_factory=dict)  # path -> reason


class DraftReview(_Strict):
    """The orchestrator's merged review, which a person approves, edits or rejects."""

    summary: str
    verdict: Literal[Verdict.COMMENT, Verdict.REQUEST_CHANGES]
    verdict_reason: str
    comments: list[ReviewComment]
    disagreements: list[Disagreement] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    coverage: Coverage = Field(default_factory=Coverage)
    usage: dict[str, Usage] = Field(default_factory=dict)
    cost: CostEstimate = Field(default_factory=lambda: CostEstimate())
    noise: NoiseControl | None = None  # the thresholds this draft was filtered with
    # services.scope: "failed" means no specialist produced a usable answer (nothing in the
    # draft comes from reading the change); "partial" that some model call failed.
    outcome: Literal["complete", "partial", "failed"] = "complete"
    orchestrator_error: str | None = None  # why the summary was not written, if it was not
    # Past services.bound.MAX_COMMENTS: the comments left out, summarised by file and severity.
    left_out: list[str] = Field(default_factory=list)


class CostLine(_Strict):
    """One participant's tokens and their estimated price (``usd`` None: price unknown)."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usd: float | None = None


class CostEstimate(_Strict):
    """Token usage and estimated cost of a review, per specialist and the orchestrator.

    A model with no known price is never guessed: its line has ``usd=None`` and so does the
    total, while ``priced_usd`` still adds up what is known.
    """

    lines: dict[str, CostLine] = Field(default_factory=dict)
    total_usd: float | None = None
    priced_usd: float = 0.0
    unpriced: list[str] = Field(default_factory=list)  # models with no price


class NoiseControl(_Strict):
    """The effective noise thresholds of one review, and where each value came from."""

    min_severity: Severity = Severity.LOW
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    max_inline_comments: int = Field(default=25, ge=0)
    sources: dict[str, str] = Field(default_factory=dict)  # setting -> run | repository | default


class ResolutionAnswer(_Strict):
    comment_id: str
    resolution: str = Field(description="Which view holds and why, in one or two sentences.")
    severity: Severity = Field(
        description="The severity the comment should carry: one of the views' severities. "
        "A high or critical view is never lowered."
    )


class SameProblemAnswer(_Strict):
    comment_ids: list[str] = Field(
        description="Two or more overlapping comment ids that describe one and the same problem."
    )
    reason: str = Field(description="Why they are one problem, in one sentence.")


class SynthesisAnswer(_Strict):
    """The structured output of the orchestrator's one model call."""

    summary: str = Field(description="A short markdown summary of the review for the PR author.")
    resolutions: list[ResolutionAnswer] = Field(
        description="One entry per comment id listed as a disagreement; none for the others."
    )
    same_problem: list[SameProblemAnswer] = Field(
        default_factory=list,
        description="Groups of the listed overlapping comments that are really one problem; "
        "empty when every comment is its own problem.",
    )


class FindingCheck(_Strict):
    """The verifier's judgement of one finding: the reason first, then whether it holds."""

    finding: int = Field(description="The finding's number, as listed.")
    reason: str = Field(description="What the code shown says about the finding, in one sentence.")
    holds: bool = Field(
        description="false only when the code shown proves the finding wrong; true otherwise."
    )


class VerificationAnswer(_Strict):
    """The structured output of the optional verification call (one per chunk)."""

    checks: list[FindingCheck] = Field(description="One entry per listed finding.")


# --- the human's answer ---------------------------------------------------------------------


class ApproveDecision(_Strict):
    type: Literal["approve"]
    verdict: Verdict | None = Field(default=None, description="Override the recommended verdict.")


class EditDecision(_Strict):
    type: Literal["edit"]
    summary: str | None = Field(default=None, description="Replace the summary.")
    verdict: Verdict | None = Field(default=None, description="Change the verdict.")
    comments: dict[str, str | None] = Field(
        default_factory=dict,
        description="Comment id -> new body, or null to drop that comment.",
    )


class RejectDecision(_Strict):
    type: Literal["reject"]
    message: str = Field(min_length=1, description="Why the review is rejected.")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a rejection needs a reason")
        return value


class RetryDecision(_Strict):
    type: Literal["retry"]


# A decision that publishes (what ``nodes.approve.apply_decision`` turns into a review) and any
# decision a person may give. New kinds of answer join ``AnyDecision`` and the discriminated
# ``Decision`` below; the approve node dispatches on the type, never on a dict's keys.
PublishDecision = ApproveDecision | EditDecision
AnyDecision = ApproveDecision | EditDecision | RejectDecision | RetryDecision
Decision = Annotated[AnyDecision, Field(discriminator="type")]


class ApprovalResponse(_Strict):
    """The resume value of the approval interrupt (LangChain's HITL convention)."""

    decisions: list[Decision] = Field(min_length=1, max_length=1)

    @staticmethod
    def problems(exc: ValidationError) -> str:
        """What is wrong with an answer, one clause per error, named by the decision's keys."""
        return validation_summary(exc, skip=("decisions", 0), whole="decision")

    @property
    def decision(self) -> AnyDecision:
        return self.decisions[0]


def validation_summary(
    exc: ValidationError,
    *,
    skip: tuple[str | int, ...] = (),
    whole: str = "(value)",
    allowed: Iterable[str] = (),
) -> str:
    """What pydantic found wrong, one clause per error, named by its key path.

    The one formatter for every validated input a person writes (decisions, prompt files,
    ``.review-panel.yaml``): ``skip`` leaves wrapper parts out of the key path, ``whole``
    names an error about the value itself, ``allowed`` lists the keys an unknown one could be.
    """
    hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"] if p not in skip)
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key '{key}'{hint}")
        elif err["type"] == "missing":
            parts.append(f"missing key '{key}'")
        elif not key:
            parts.append(f"{whole}: {err['msg']}")
        else:
            parts.append(f"key '{key}': {err['msg']}")
    return "; ".join(parts)


# --- after approval -------------------------------------------------------------------------


class ApprovedComment(_Strict):
    """One comment of the approved review, carried whole from the draft through approval.

    It keeps the draft comment's id and place, the words that are published (``body``: the
    person's edit, or the drafted text) and where they go (``anchor``: an inline comment;
    None: a list item of the review body). The GitHub payload, the final markdown, the JSON
    and the SARIF outputs are all built from these, so they cannot disagree about an edit.
    """

    id: str
    path: str
    start_line: int
    end_line: int
    side: Side
    severity: Severity
    category: str
    title: str
    specialists: list[str]
    body: str  # what is published: inline markdown, or the body's list-item text
    text: str  # the same words as plain text (SARIF's message): the edit, or title + rationale
    edited: bool = False
    anchor: Anchor | None = None
    in_body: InBody | None = None  # why it is in the review body (anchor None)

    @property
    def inline(self) -> bool:
        return self.anchor is not None

    def to_github(self) -> dict[str, Any]:
        """The comment exactly as GitHub's create-review endpoint takes it (inline only)."""
        assert self.anchor is not None, "a body comment is not sent as an inline comment"
        payload = {"path": self.path, "body": self.body, **self.anchor.model_dump(mode="json")}
        return {k: v for k, v in payload.items() if v is not None}


class ApprovedReview(_Strict):
    """What the person approved: the exact body and comments that will be published."""

    event: Verdict
    summary: str
    body: str
    comments: list[ApprovedComment]
    decision: Literal["approve", "edit"]
    digest: str = ""

    @model_validator(mode="after")
    def _digest(self) -> ApprovedReview:
        if not self.digest:
            payload = self.model_dump_json(exclude={"digest", "decision"})
            self.digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
        return self

    @property
    def inline(self) -> list[ApprovedComment]:
        return [c for c in self.comments if c.anchor is not None]

    @property
    def in_body(self) -> list[ApprovedComment]:
        return [c for c in self.comments if c.anchor is None]

    def github_comments(self) -> list[dict[str, Any]]:
        return [c.to_github() for c in self.inline]


class PostResult(_Strict):
    destination: Literal["github", "local"]
    url: str | None = None
    review_id: int | None = None
    markdown: str
    already_posted: bool = False
    moved_to_body: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


# --- inputs ---------------------------------------------------------------------------------


class Source(_Strict):
    """Where the diff came from. PR text is untrusted and only ever shown to models as data."""

    kind: Literal["local", "github"]
    label: str
    owner: str | None = None
    repo: str | None = None
    number: int | None = None
    api_url: str | None = None
    html_url: str | None = None
    title: str = ""
    body: str = ""
    author: str | None = None
    state: str | None = None
    base_sha: str | None = None
    head_sha: str | None = None
    warnings: list[str] = Field(default_factory=list)
    not_reviewed: dict[str, str] = Field(default_factory=dict)  # path -> why GitHub gave no patch
    # The repository's review guidelines (AGENTS.md, CONTRIBUTING.md, ...), read at the base,
    # bounded; shown to the specialists as data (services/guidelines.py).
    guidelines: str = ""
    compared_to: str | None = None  # incremental review: the earlier head the diff starts from


class Chunk(_Strict):
    """A slice of the diff that fits one model call, rendered with the line numbers to cite."""

    index: int
    paths: list[str]
    changed_lines: int
    text: str

"""The approved review as a file: markdown for people, JSON for tools, SARIF for code scanning.

Each format is built from one list, the approved review's comments (``ApprovedComment``):
the same list the GitHub payload and the review body come from. So what every format holds
is exactly what a person approved: comments they dropped are not there, and an edited
comment carries the edited words, inline or in the review body alike. Each comment keeps its
draft id, severity, category and the specialists behind it; the JSON adds the whole draft.

SARIF follows 2.1.0 and what GitHub code scanning reads: one rule per category, the level from
the severity, repository-relative locations with a line region, and ``partialFingerprints``
that leave out line numbers so an alert survives unrelated edits above it.
"""

from __future__ import annotations

import hashlib
import re
from importlib import metadata
from typing import Any, Literal, get_args

from graph.contracts import (
    ApprovedComment,
    ApprovedReview,
    DraftReview,
    Severity,
    Side,
    Source,
)
from services import render

Format = Literal["markdown", "json", "sarif"]
FORMATS: tuple[str, ...] = get_args(Format)

JSON_FORMAT = "review-panel.review/1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "reviewPanel/v1"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub sorts security alerts by this 0-10 score (critical >= 9, high >= 7, medium >= 4).
SECURITY_SCORES = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 3.0,
    Severity.INFO: 0.5,
}


def render_output(fmt: str, values: dict[str, Any]) -> str:
    """The finished thread's review in ``fmt``, as text to write to a file."""
    import json

    if fmt == "markdown":
        return str(values["result"]["markdown"])
    if fmt == "json":
        return json.dumps(review_json(values), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(values), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def review_json(values: dict[str, Any]) -> dict[str, Any]:
    """The structured approved review, with the draft's metadata and where it was published."""
    source = Source.model_validate(values["source"])
    approved = ApprovedReview.model_validate(values["approved"])
    draft = DraftReview.model_validate(values["draft"])
    result = {k: v for k, v in (values.get("result") or {}).items() if k != "markdown"}
    return {
        "format": JSON_FORMAT,
        "target": source.label,
        "source": source.model_dump(mode="json", exclude={"body", "warnings", "not_reviewed"}),
        "verdict": approved.event.value,
        "recommended_verdict": draft.verdict.value,
        "verdict_reason": draft.verdict_reason,
        "decision": approved.decision,
        "summary": approved.summary,
        "comments": [_comment_json(c) for c in approved.comments],
        "approved": approved.model_dump(mode="json"),
        "draft": draft.model_dump(mode="json"),
        "result": result,
    }


def _comment_json(c: ApprovedComment) -> dict[str, Any]:
    data = c.model_dump(mode="json", exclude={"id", "text"})
    return {"comment_id": c.id, "inline": c.inline, **data}


# --- SARIF ----------------------------------------------------------------------------------


def sarif(values: dict[str, Any]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run of the tool ``review-panel``."""
    source = Source.model_validate(values["source"])
    approved = ApprovedReview.model_validate(values["approved"])
    kept = approved.comments
    rule_ids = list(dict.fromkeys(_rule_id(c) for c in kept))
    results = [_result(c, rule_ids.index(_rule_id(c))) for c in kept]
    _number_fingerprints(results)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "review-panel",
                "semanticVersion": _version(),
                "rules": [_rule(rid, [c for c in kept if _rule_id(c) == rid]) for rid in rule_ids],
            }
        },
        "automationDetails": {"id": "review-panel/"},
        "results": results,
        "properties": {"verdict": approved.event.value, "target": source.label},
    }
    if source.html_url and source.head_sha and "/pull/" in source.html_url:
        repository = source.html_url.split("/pull/")[0]
        run["versionControlProvenance"] = [
            {"repositoryUri": repository, "revisionId": source.head_sha}
        ]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule_id(c: ApprovedComment) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", c.category.lower()).strip("-")
    return slug or "review-comment"


def _rule(rule_id: str, comments: list[ApprovedComment]) -> dict[str, Any]:
    worst = max((c.severity for c in comments), key=lambda s: s.rank)
    specialists = sorted({s for c in comments for s in c.specialists})
    # Tags must be unique; "security" also tells GitHub to read the security-severity.
    properties: dict[str, Any] = {"tags": list(dict.fromkeys(["review-panel", *specialists]))}
    if "security" in specialists:
        properties["security-severity"] = f"{SECURITY_SCORES[worst]:.1f}"
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": f"review-panel: {comments[0].category}"},
        "defaultConfiguration": {"level": LEVELS[worst]},
        "properties": properties,
    }


def _result(c: ApprovedComment, rule_index: int) -> dict[str, Any]:
    text = c.text
    location: dict[str, Any] = {"artifactLocation": {"uri": c.path}}
    if c.side == Side.RIGHT:
        location["region"] = {"startLine": c.start_line, "endLine": c.end_line}
    else:  # a deleted line: it is not in the analysed revision, so point at the file
        lines = render.line_range(c.start_line, c.end_line)
        text += f" (old line {lines}, which this change deletes)"
    key = "\0".join([c.path, _rule_id(c), " ".join(c.title.lower().split())])
    return {
        "ruleId": _rule_id(c),
        "ruleIndex": rule_index,
        "level": LEVELS[c.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {FINGERPRINT_KEY: hashlib.sha256(key.encode()).hexdigest()[:32]},
        "properties": {
            "severity": c.severity.value,
            "comment_id": c.id,
            "specialists": c.specialists,
            "edited": c.edited,
        },
    }


def _number_fingerprints(results: list[dict[str, Any]]) -> None:
    """Same file, rule and title more than once: tell them apart by order, as CodeQL does."""
    seen: dict[str, int] = {}
    for r in results:
        base = r["partialFingerprints"][FINGERPRINT_KEY]
        seen[base] = seen.get(base, 0) + 1
        r["partialFingerprints"][FINGERPRINT_KEY] = f"{base}:{seen[base]}"


def _version() -> str:
    try:
        return metadata.version("review-panel")
    except metadata.PackageNotFoundError:
        return "0.0.0"

"""Reading what the person gave the CLI: a diff file, stdin, a PR reference, an edit file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from graph.errors import ConfigError, DecisionError, InputError
from services import diff as diffs
from services.pullref import parse_pull_ref


def read_target(target: str, github_api_url: str | None = None) -> tuple[str, str]:
    """(label, text) for TARGET: ``-`` for stdin, a PR reference, or a .diff/.patch path.

    A local diff is checked here, before any thread exists, so a bad file costs nothing; so
    is a PR URL on a host the GitHub token may not be sent to.
    """
    ref = parse_pull_ref(target)
    if ref is not None:
        if github_api_url is not None:
            ref.api_url(github_api_url)  # raises for a host outside the allowed ones
        return ref.label, target.strip()
    if target == "-":
        data, label = sys.stdin.buffer.read(), "stdin"
    else:
        path = Path(target)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read {target}: {exc.strerror or exc}; give a .diff/.patch file, "
                "- for stdin, or owner/repo#123"
            ) from None
        label = str(path)
    text = decode(data, label)
    check_reviewable(text, label)
    return label, text


def decode(data: bytes, label: str) -> str:
    # newline="" semantics: bytes are decoded as they are, CRLF kept, so line numbers and
    # content match what GitHub has.
    if b"\x00" in data[:8192] and not data.lstrip().startswith(b"diff"):
        raise InputError(f"{label} is a binary file, not a unified diff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{label} is not UTF-8 (byte {exc.start}): re-create the diff with "
            "`git -c core.quotepath=off diff --text` or convert it with iconv"
        ) from None


def check_reviewable(text: str, label: str) -> None:
    files = diffs.parse(text)
    if not any(f.reviewable for f in files):
        kinds = sorted({f.status for f in files})
        raise InputError(
            f"{label}: nothing to review: the diff only has {', '.join(kinds)} files "
            "with no added lines"
        )


def read_edit(path: str) -> dict[str, Any]:
    """An edit file (YAML or JSON): summary, verdict, and comments {id: text or null}."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DecisionError(f"cannot read edit file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DecisionError(f"edit file {path} is not UTF-8 (byte {exc.start})") from None
    try:
        data = yaml.safe_load(raw) if not path.endswith(".json") else json.loads(raw)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        if isinstance(exc, json.JSONDecodeError):
            line = f" at line {exc.lineno}"
        raise DecisionError(f"edit file {path} is not valid YAML/JSON{line}") from None
    if not isinstance(data, dict):
        raise DecisionError(
            f"edit file {path} must be a mapping with summary, verdict and/or comments"
        )
    return {"type": "edit", **data}


def check_writable(path: Path) -> None:
    """Refuse an output path that cannot be written, before anything is published."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ConfigError(f"--out {path} is a directory: give a file name")
    if not folder.is_dir():
        raise ConfigError(f"--out {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"--out {path} cannot be written (permission denied)")

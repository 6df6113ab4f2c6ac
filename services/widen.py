"""Context beyond the hunk: the enclosing function or class of each hunk, at the head.

A hunk with three lines around it rarely shows what a change breaks: the condition a few
lines up, the variable's other uses, the function's contract. So each hunk is widened to its
enclosing function or class (found by indentation and braces, language-agnostic, bounded in
lines), read from the file at the reviewed head: for a pull request through the contents API
at the head SHA (one request per file, bounded in size and count); for a local diff from
the repository folder (``--repo PATH``), or the current directory when it is a git working
tree whose files match the diff.

What is added is shown to the specialists in a separate block per file, marked as context,
in the same ``new old marker code`` rows (marker ``:``), so a model can cite those lines,
but they are never anchors: ``services.diff.Anchors`` only knows diff lines, so a comment on
them goes into the review body, under "Not on lines of this diff".
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from pathlib import Path

from graph.contracts import Chunk, Source
from services.diff import FileChange

MAX_FILES = 40  # files whose head contents are fetched for one review
MAX_FILE_BYTES = 200_000  # larger files are not read
MAX_LINES_PER_FILE = 120  # context lines shown per file, all hunks together
REACH = 60  # how far above a hunk a definition is looked for, and below for its end

Around = dict[str, dict[str, str]]  # path -> {line number as str: text}; JSON for state

_DEF = re.compile(
    r"^\s*(?:(?:export|public|private|protected|static|async|abstract|final|override|"
    r"default|pub(?:\([a-z]+\))?|inline|virtual)\s+)*"
    r"(?:def|class|function|func|fn|interface|struct|impl|module|enum|trait|object|"
    r"type\s+\w+\s+struct)\b"
)
_METHOD = re.compile(  # a C-like method: `Type name(args) {`, not a control statement
    r"^(?!\s*(?:if|for|while|switch|catch|return|else|do|try|synchronized)\b)"
    r"\s*[\w<>\[\],.? ]+\s+\w+\s*\([^;]*\)\s*(?:throws [\w., ]+)?\s*\{\s*$"
)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def enclosing(lines: Sequence[str], start: int, end: int) -> tuple[int, int] | None:
    """The 1-based range of the function or class around ``start..end``, within ``REACH``
    lines either side; None when no definition encloses it."""
    first = next((lines[n - 1] for n in range(start, end + 1) if lines[n - 1].strip()), "")
    depth = _indent(first) if first else 0
    top = None
    for n in range(start, max(0, start - REACH), -1):
        text = lines[n - 1]
        if text.strip() and (_DEF.match(text) or _METHOD.match(text)) and (
            _indent(text) < depth or n == start
        ):
            top = n
            break
    if top is None:
        return None
    head = lines[top - 1]
    limit = min(len(lines), end + REACH)
    if "{" in head or (top < len(lines) and lines[top].strip() == "{"):
        balance = 0
        for n in range(top, limit + 1):
            balance += lines[n - 1].count("{") - lines[n - 1].count("}")
            if balance <= 0 and n > top:
                return top, max(n, end)
        return top, limit
    for n in range(top + 1, limit + 1):
        text = lines[n - 1]
        if text.strip() and _indent(text) <= _indent(head) and n > end:
            return top, n - 1
    return top, limit


def around(change: FileChange, text: str) -> dict[str, str] | None:
    """The context lines of one file (outside its hunks), or None when the file at hand
    does not match the diff (then nothing from it is shown)."""
    lines = text.splitlines()
    shown: set[int] = set()
    for hunk in change.patched:
        for line in hunk:
            n = line.target_line_no
            if n is None:
                continue
            shown.add(n)
            if n > len(lines) or lines[n - 1].rstrip("\r") != line.value.rstrip("\r\n"):
                return None  # another version of the file than the one reviewed
    extra: dict[str, str] = {}
    for hunk in change.patched:
        if not hunk.target_length:
            continue
        start, end = hunk.target_start, hunk.target_start + hunk.target_length - 1
        found = enclosing(lines, start, end)
        if found is None:
            continue
        for n in range(found[0], found[1] + 1):
            if n not in shown and len(extra) < MAX_LINES_PER_FILE:
                extra[str(n)] = lines[n - 1].rstrip("\r")
    return extra


async def gather(
    source: Source, files: Sequence[FileChange], repo: str | None
) -> tuple[Around, list[str]]:
    """The context lines of every reviewable file, and notes on what could not be read."""
    wanted = [f for f in files if f.reviewable and f.status != "added"][:MAX_FILES]
    notes: list[str] = []
    skipped = sum(1 for f in files if f.reviewable and f.status != "added") - len(wanted)
    if skipped > 0:
        notes.append(f"context beyond the hunks read for {MAX_FILES} files; {skipped} not")
    if not wanted:
        return {}, notes
    if source.kind == "github":
        if not source.head_sha:
            return {}, notes
        from services.github import read_files

        texts = await read_files(source, [f.path for f in wanted], source.head_sha, MAX_FILE_BYTES)
    else:
        root = await asyncio.to_thread(local_root, repo)
        if root is None:
            return {}, notes
        texts = await asyncio.to_thread(read_local, root, [f.path for f in wanted])
    out: Around = {}
    for f in wanted:
        text = texts.get(f.path)
        extra = around(f, text) if text is not None else None
        if extra:
            out[f.path] = extra
        elif text is not None and extra is None:
            notes.append(
                f"no context shown for {json.dumps(f.path)}: the file read does not match the diff"
            )
    return out, notes


def local_root(repo: str | None) -> Path | None:
    """``--repo PATH``; else the current directory's git working tree, if it is in one."""
    if repo:
        return Path(repo)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def read_local(root: Path, paths: Sequence[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    base = root.resolve()
    for path in paths:
        target = (base / path).resolve()
        try:
            if not target.is_relative_to(base) or target.stat().st_size > MAX_FILE_BYTES:
                out[path] = None
                continue
            out[path] = target.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            out[path] = None
    return out


def render(path: str, extra: dict[str, str]) -> str:
    """One file's context block, in the rows the specialists cite from (marker ``:``)."""
    rows = [
        f"### context {json.dumps(path)} (the enclosing code at the reviewed head; "
        "not part of the change, never an anchor)",
        "   new    old",
    ]
    rows += [f"{int(n):>6} {'':>6} : {extra[n]}" for n in sorted(extra, key=int)]
    return "\n".join(rows)


def annotate(chunks: Sequence[Chunk], context: Around) -> list[Chunk]:
    """The chunks with each of their files' context blocks appended."""
    out = []
    for c in chunks:
        blocks = [render(p, context[p]) for p in c.paths if context.get(p)]
        out.append(c.model_copy(update={"text": "\n\n".join([c.text, *blocks])}) if blocks else c)
    return out

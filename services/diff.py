"""Parsing a unified diff, showing it to a model with citable line numbers, and anchoring.

unidiff does the parsing. Everything here works on the diff text exactly as fetched (CRLF
kept), because GitHub anchors comments by the line numbers of *its* copy: a diff read in text
mode with newline translation would still number lines the same, but the model would see
different bytes than GitHub has.
"""

from __future__ import annotations

import codecs
import fnmatch
import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchedFile, PatchSet

from graph.contracts import Anchor, Chunk, Side
from graph.errors import InputError

# Files no specialist should spend tokens on unless its YAML includes them explicitly.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    "*.lock",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "poetry.lock",
    "Cargo.lock",
    "go.sum",
    "composer.lock",
    "Gemfile.lock",
    "uv.lock",
    "*.min.js",
    "*.min.css",
    "*.map",
    "vendor/*",
    "*/vendor/*",
    "third_party/*",
    "*/third_party/*",
    "node_modules/*",
    "*/node_modules/*",
    "*_pb2.py",
    "*.pb.go",
    "*.generated.*",
    "dist/*",
    "build/*",
)

CHARS_PER_TOKEN = 4  # a conservative estimate for code; budgets are sized with it


@dataclass
class FileChange:
    """One file of the diff, with the lines a comment may be anchored to."""

    path: str
    status: str  # added | modified | deleted | renamed | binary
    patched: PatchedFile
    right: dict[int, int] = field(default_factory=dict)  # new line -> hunk index
    left: dict[int, int] = field(default_factory=dict)  # old line -> hunk index
    changed_lines: int = 0
    # budget -> this file's rendered parts: every specialist chunks the same parsed files
    # (``parse`` is cached), so each file is rendered once per review, not once per reader.
    rendered: dict[int, list[tuple[str, int]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def reviewable(self) -> bool:
        return self.status not in {"binary", "deleted"} and self.changed_lines > 0


def parse(text: str) -> list[FileChange]:
    """Parse a unified diff; an empty, malformed or truncated one is an ``InputError``.

    fetch, every specialist and orchestrate each read the same diff, so the last few parses
    are kept (a 1 MB diff takes ~50 ms, on the path to the first model call). Callers get
    their own list but share the ``FileChange``s, which nothing modifies after parsing
    (each keeps a memo of its rendered parts, the same for every reader).
    """
    return list(_parse(text))


@functools.lru_cache(maxsize=2)
def _parse(text: str) -> tuple[FileChange, ...]:
    if not text.strip():
        raise InputError("the diff is empty: nothing to review")
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise InputError(
            f"the diff is malformed or truncated ({exc}); produce it again with `git diff`"
        ) from None
    if not list(patch):
        raise InputError("no file changes found: the input is not a unified diff")
    return tuple(_index(pf) for pf in patch)


def _status(pf: PatchedFile) -> str:
    if pf.is_binary_file:
        return "binary"
    if pf.is_removed_file:
        return "deleted"
    if pf.is_added_file:
        return "added"
    if pf.is_rename:
        return "renamed"
    return "modified"


def unquote_path(path: str) -> str:
    """Git quotes unusual file names C-style (``"a\\nb.py"``); GitHub knows them unquoted."""
    if len(path) >= 2 and path[0] == path[-1] == '"':
        raw = codecs.escape_decode(path[1:-1].encode("utf-8"))[0]
        return bytes(raw).decode("utf-8", "replace")
    return path


def _index(pf: PatchedFile) -> FileChange:
    change = FileChange(path=unquote_path(pf.path), status=_status(pf), patched=pf)
    for h, hunk in enumerate(pf):
        for line in hunk:
            if line.target_line_no is not None:  # added or context
                change.right[line.target_line_no] = h
            if line.source_line_no is not None:  # removed or context
                change.left[line.source_line_no] = h
            if line.is_added:
                change.changed_lines += 1
    return change


def matches(path: str, patterns: Iterable[str]) -> bool:
    """Whether the path, or its file name, matches one of the glob ``patterns``."""
    pattern = _globs(tuple(patterns))
    if pattern is None:
        return False
    name = path.rsplit("/", 1)[-1]
    return bool(pattern.match(path) or pattern.match(name))


@functools.lru_cache(maxsize=64)
def _globs(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    # One regex for a whole list: each reviewer tests every file against ~25 globs.
    # fnmatch.fnmatch would normalise case on Windows; review paths are POSIX, as on GitHub.
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def select(
    files: Sequence[FileChange], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> tuple[list[FileChange], dict[str, str]]:
    """The files a reviewer should read, and why each of the others is skipped."""
    chosen: list[FileChange] = []
    skipped: dict[str, str] = {}
    for f in files:
        if f.status == "binary":
            skipped[f.path] = "binary file"
        elif f.status == "deleted":
            skipped[f.path] = "file deleted"
        elif f.changed_lines == 0:
            skipped[f.path] = "no added or changed lines"
        elif include and not matches(f.path, include):
            skipped[f.path] = "not in this reviewer's include patterns"
        elif not include and matches(f.path, DEFAULT_EXCLUDES):
            skipped[f.path] = "excluded (lockfile, generated, minified or vendored)"
        elif matches(f.path, exclude):
            skipped[f.path] = "in this reviewer's exclude patterns"
        else:
            chosen.append(f)
    return chosen, skipped


# --- showing the diff to a model ------------------------------------------------------------


def _strip_eol(value: str) -> str:
    return value.rstrip("\n").rstrip("\r")


Line = tuple[str, bool]  # rendered text, whether it is an added line


def _hunk_lines(pf: PatchedFile, h: int) -> list[Line]:
    hunk = pf[h]
    header = (
        f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} @@"
    )
    section = (hunk.section_header or "").strip()
    out = [(header + (f" {section}" if section else ""), False)]
    for line in hunk:
        new = str(line.target_line_no) if line.target_line_no else ""
        old = str(line.source_line_no) if line.source_line_no else ""
        marker = line.line_type if line.line_type in "+- " else "\\"
        out.append((f"{new:>6} {old:>6} {marker} {_strip_eol(line.value)}", line.is_added))
    return out


CUT_MARK = " [review-panel: line cut here, {more} more characters not shown]"
_CUT = re.compile(r"^\s*(\d*) .* \[review-panel: line cut here, (\d+) more characters not shown\]$")
_HEADER = re.compile(r'^### file ("(?:[^"\\]|\\.)*")')


def _cut_long(lines: list[Line], budget: int) -> list[Line]:
    """Lines longer than half a chunk's budget cut there, with a mark saying so.

    One enormous line (a 2 MB minified bundle, a data blob) would otherwise be a chunk of its
    own, hundreds of thousands of tokens over the budget. Every line still reaches the model,
    with its number, so findings on it stay citable; ``cut_notes`` tells the approver.
    """
    limit = max(budget // 2, 200)
    out = []
    for text, added in lines:
        if len(text) > limit:
            text = text[:limit] + CUT_MARK.format(more=len(text) - limit)
        out.append((text, added))
    return out


def cut_notes(chunk_text: str) -> list[str]:
    """A note per line of ``chunk_text`` that ``_cut_long`` cut, naming the file and line."""
    if "[review-panel: line cut here" not in chunk_text:
        return []
    notes, path = [], "?"
    for line in chunk_text.split("\n"):
        header = _HEADER.match(line)
        if header:
            path = json.loads(header.group(1))
            continue
        cut = _CUT.match(line)
        if cut:
            where = f"{path}:{cut.group(1)}" if cut.group(1) else path
            notes.append(
                f"{where}: a very long line was cut for the model ({int(cut.group(2)):,} "
                "characters not shown)"
            )
    return notes


def _file_header(change: FileChange, part: str = "") -> str:
    # JSON quoting keeps a hostile file name (newlines, markdown) on one inert line.
    return f"### file {json.dumps(change.path)} ({change.status}){part}\n   new    old"


FILES_PER_CHUNK = 25  # a finding per file must still fit one answer (``max_findings``)


def chunk(
    files: Sequence[FileChange], budget_tokens: int, max_files: int = FILES_PER_CHUNK
) -> list[Chunk]:
    """Split the diff into chunks of at most ``budget_tokens`` and ``max_files`` files.

    Small files share a chunk; a file too big for one is split between hunks, and a single
    hunk too big for one is split between lines, so every changed line lands in some chunk.
    """
    budget = budget_tokens * CHARS_PER_TOKEN
    pieces: list[tuple[str, str, int]] = []  # (path, text, changed lines)
    for f in files:
        pieces.extend((f.path, text, added) for text, added in _render(f, budget))
    chunks: list[Chunk] = []
    current: list[tuple[str, str, int]] = []
    size = 0
    for piece in pieces:
        if current and (size + len(piece[1]) > budget or len(current) >= max_files):
            chunks.append(_make_chunk(len(chunks), current))
            current, size = [], 0
        current.append(piece)
        size += len(piece[1])
    if current:
        chunks.append(_make_chunk(len(chunks), current))
    return chunks


def prerender(files: Iterable[FileChange], budget_tokens: int) -> None:
    """Render ``files`` for chunks of ``budget_tokens`` now, so ``chunk`` only groups them."""
    for f in files:
        _render(f, budget_tokens * CHARS_PER_TOKEN)


def _render(f: FileChange, budget: int) -> list[tuple[str, int]]:
    """The file's parts under ``budget`` characters, each with its header; made once."""
    parts = f.rendered.get(budget)
    if parts is None:
        blocks = [_cut_long(_hunk_lines(f.patched, h), budget) for h in range(len(f.patched))]
        packed = _pack_blocks(blocks, budget)
        parts = [
            (
                _file_header(f, f" part {i + 1}/{len(packed)}" if len(packed) > 1 else "")
                + "\n"
                + text,
                added,
            )
            for i, (text, added) in enumerate(packed)
        ]
        f.rendered[budget] = parts
    return parts


def _pack_blocks(blocks: list[list[Line]], budget: int) -> list[tuple[str, int]]:
    """Group hunks into parts under ``budget`` characters; split a hunk only if it alone is over."""
    parts: list[list[Line]] = []
    current: list[Line] = []
    size = 0
    for block in blocks:
        block_size = sum(len(text) + 1 for text, _ in block)
        if current and size + block_size > budget:
            parts.append(current)
            current, size = [], 0
        if block_size > budget:
            parts.extend(_split_hunk(block, budget))
            continue
        current.extend(block)
        size += block_size
    if current:
        parts.append(current)
    return [("\n".join(t for t, _ in p), sum(1 for _, added in p if added)) for p in parts]


def _split_hunk(block: list[Line], budget: int) -> list[list[Line]]:
    header, body = block[0], block[1:]
    out: list[list[Line]] = []
    current, size = [header], len(header[0])
    for line in body:
        if len(current) > 1 and size + len(line[0]) > budget:
            out.append(current)
            current, size = [(header[0] + " (continued)", False)], len(header[0])
        current.append(line)
        size += len(line[0]) + 1
    out.append(current)
    return out


def _make_chunk(index: int, pieces: list[tuple[str, str, int]]) -> Chunk:
    paths = list(dict.fromkeys(p for p, _, _ in pieces))
    return Chunk(
        index=index,
        paths=paths,
        changed_lines=sum(a for _, _, a in pieces),
        text="\n\n".join(t for _, t, _ in pieces),
    )


# --- anchoring comments on lines GitHub accepts --------------------------------------------


def _reaches_end(pf: PatchedFile) -> bool:
    """Whether the file's last hunk runs to the end of the file (on both sides).

    git shows the same number of context lines around every change unless the file ends
    first: a last hunk with less context after its last change than before its first one
    stops at the end of the file. A diff made without context (``-U0``) never says so.
    """
    hunks = list(pf)
    if not hunks:
        return False
    if any(line.line_type == "\\" for line in hunks[-1]):  # "\ No newline at end of file"
        return True
    kinds = ["context" if line.is_context else "change" for line in hunks[-1]]
    if "change" not in kinds:
        return False
    leading = kinds.index("change")
    trailing = kinds[::-1].index("change")
    return trailing < min(3, leading)


class Anchors:
    """Which (path, side, line) a GitHub review comment may point at, and in which hunk."""

    def __init__(self, files: Iterable[FileChange]) -> None:
        self._files = {f.path: f for f in files if f.status != "binary"}

    def __contains__(self, path: str) -> bool:
        return path in self._files

    def anchor(self, path: str, side: Side, start: int, end: int) -> Anchor | None:
        """The anchor for a finding on ``start..end``, or None if no line of it is in the diff.

        Comments go on the last line of the range that the diff shows; a multi-line comment
        starts at the first shown line of the range *in the same hunk*, as GitHub requires.
        """
        change = self._files.get(path)
        if change is None:
            return None
        lines = change.right if side == Side.RIGHT else change.left
        shown = [n for n in range(start, end + 1) if n in lines]
        if not shown:
            return None
        line = shown[-1]
        same_hunk = [n for n in shown if lines[n] == lines[line]]
        first = same_hunk[0]
        if first < line:
            return Anchor(line=line, side=side, start_line=first, start_side=side)
        return Anchor(line=line, side=side)

    def clamp(self, path: str, side: Side, start: int, end: int) -> tuple[int, int]:
        """``start..end`` cut to the lines the file has, where the diff tells its length.

        A range past a file's last line names lines that do not exist: the draft said 1-20
        on an 18-line file where the posted comment said 1-18. The diff tells the length of
        an added file (new side), a deleted one (old side), and of any file whose last hunk
        reaches its end (see ``_reaches_end``); elsewhere only the start is kept at 1 or more.
        A range that starts past the end is left as it is: moving it onto the last line would
        put a comment on code it is not about (it goes to the review body instead).
        """
        start, end = max(1, start), max(1, end)
        change = self._files.get(path)
        if change is None:
            return start, end
        lines = change.right if side == Side.RIGHT else change.left
        whole = change.status == ("added" if side == Side.RIGHT else "deleted")
        if lines and (whole or _reaches_end(change.patched)):
            last = max(lines)
            if start <= last:  # a range wholly past the end is not moved onto other lines
                end = min(end, last)
        return start, end

    def single_hunk_right(self, path: str, start: int, end: int) -> bool:
        """True when every line of start..end is a new-file line of one hunk (suggestions)."""
        change = self._files.get(path)
        if change is None:
            return False
        hunks = {change.right.get(n) for n in range(start, end + 1)}
        return None not in hunks and len(hunks) == 1

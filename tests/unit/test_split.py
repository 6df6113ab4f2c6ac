"""A chunk whose answer did not fit is cut in halves that, together, show exactly the same."""

from __future__ import annotations

from services import citations, split
from services import diff as diffs


def _file(path: str, hunks: int, lines: int) -> str:
    out = [f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n"]
    out.append(f"--- a/{path}\n+++ b/{path}\n")
    for h in range(hunks):
        start = 1 + h * 100
        out.append(f"@@ -{start},1 +{start},{lines + 1} @@\n {path}_context_{h}\n")
        out += [f"+value_{h}_{i} = {i}\n" for i in range(lines)]
    return "".join(out)


def _one_chunk(text: str) -> diffs.Chunk:
    [chunk] = diffs.chunk(diffs.parse(text), 100_000)
    return chunk


def _same_lines(chunk: diffs.Chunk, parts: tuple[diffs.Chunk, diffs.Chunk]) -> None:
    whole = citations.read(chunk.text)
    a, b = (citations.read(p.text) for p in parts)
    for path in chunk.paths:
        assert a.added.get(path, {}) | b.added.get(path, {}) == whole.added[path]
        assert not set(a.added.get(path, {})) & set(b.added.get(path, {}))
    assert parts[0].changed_lines + parts[1].changed_lines == chunk.changed_lines
    assert all(p.index == chunk.index for p in parts)


def test_a_chunk_of_several_files_is_cut_between_files() -> None:
    chunk = _one_chunk("".join(_file(f"f{i}.py", 1, 5) for i in range(5)))
    parts = split.halves(chunk)
    assert parts is not None
    assert [p.paths for p in parts] == [["f0.py", "f1.py", "f2.py"], ["f3.py", "f4.py"]]
    _same_lines(chunk, parts)


def test_one_file_is_cut_between_hunks_and_keeps_its_header() -> None:
    chunk = _one_chunk(_file("big.py", 4, 10))
    parts = split.halves(chunk)
    assert parts is not None
    assert all(p.paths == ["big.py"] and p.text.startswith('### file "big.py"') for p in parts)
    assert [p.changed_lines for p in parts] == [20, 20]
    _same_lines(chunk, parts)


def test_one_hunk_is_cut_between_lines_and_says_it_continues() -> None:
    chunk = _one_chunk(_file("big.py", 1, 40))
    parts = split.halves(chunk)
    assert parts is not None
    assert "(continued)" in parts[1].text.splitlines()[2]
    _same_lines(chunk, parts)


def test_a_single_changed_line_cannot_be_cut() -> None:
    assert split.halves(_one_chunk(_file("one.py", 1, 1))) is None

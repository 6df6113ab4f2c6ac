"""Property-based tests: for any diff difflib can write, parsing numbers every line right and
every anchor the reviewer produces is one GitHub would accept.

The oracle for "GitHub would accept" is the loopback GitHub server's own diff index
(tests/servers/github_server.py), written separately from services/diff.py.
"""

from __future__ import annotations

import difflib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.contracts import Side
from services import citations
from services import diff as diffs
from tests.servers.github_server import _parse_diff

LINE = st.text(alphabet="abcxyz =()", min_size=0, max_size=12)


@st.composite
def edited_files(draw: st.DrawFn) -> tuple[list[str], list[str], int]:
    old = draw(st.lists(LINE, min_size=0, max_size=40))
    new = list(old)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, len(new)))
        if kind == "insert" or not new:
            new[at:at] = draw(st.lists(LINE, min_size=1, max_size=5))
        elif kind == "delete":
            del new[at : at + draw(st.integers(1, 3))]
        else:
            new[at : at + 1] = draw(st.lists(LINE, min_size=1, max_size=3))
    context = draw(st.integers(0, 3))
    return old, new, context


def unified(old: list[str], new: list[str], context: int) -> str:
    body = "".join(
        difflib.unified_diff(
            [line + "\n" for line in old],
            [line + "\n" for line in new],
            "a/m.py",
            "b/m.py",
            n=context,
        )
    )
    return f"diff --git a/m.py b/m.py\n{body}" if body else ""


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(edited_files())
def test_every_added_line_is_numbered_as_in_the_new_file(case: tuple) -> None:
    old, new, context = case
    text = unified(old, new, context)
    if not text:
        return
    (change,) = diffs.parse(text)
    (chunk,) = diffs.chunk([change], 1_000_000)
    shown = citations.read(chunk.text)
    for number, code in shown.added.get("m.py", {}).items():
        assert new[number - 1] == code
    assert change.changed_lines == len(shown.added.get("m.py", {}))


@PROPS
@given(edited_files(), st.integers(1, 60), st.integers(0, 8), st.sampled_from(list(Side)))
def test_every_anchor_is_a_line_github_accepts(
    case: tuple, start: int, length: int, side: Side
) -> None:
    old, new, context = case
    text = unified(old, new, context)
    if not text:
        return
    anchors = diffs.Anchors(diffs.parse(text))
    anchor = anchors.anchor("m.py", side, start, start + length)
    _, files = _parse_diff(text.encode(), 10_000)
    index = files["m.py"].index
    if anchor is None:
        assert not any((side.value, n) in index for n in range(start, start + length + 1))
        return
    assert (anchor.side.value, anchor.line) in index
    assert start <= anchor.line <= start + length
    if anchor.start_line is not None:
        assert anchor.start_line < anchor.line
        assert anchor.start_side == anchor.side
        hunk_of_start = index[(anchor.side.value, anchor.start_line)][0]
        assert hunk_of_start == index[(anchor.side.value, anchor.line)][0]


@PROPS
@given(st.lists(edited_files(), min_size=1, max_size=4), st.integers(20, 400))
def test_chunks_show_every_added_line_exactly_once(cases: list, budget: int) -> None:
    texts = [unified(o, n, c).replace("m.py", f"f{i}.py") for i, (o, n, c) in enumerate(cases)]
    text = "".join(t for t in texts if t)
    if not text:
        return
    files = diffs.parse(text)
    chunks = diffs.chunk(files, budget)
    seen: list[tuple[str, int]] = []
    for c in chunks:
        for path, lines in citations.read(c.text).added.items():
            seen += [(path, n) for n in lines]
    assert len(seen) == len(set(seen)) == sum(f.changed_lines for f in files)

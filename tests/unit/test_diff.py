"""Diff parsing, the numbered view models cite, chunking and anchoring."""

from __future__ import annotations

import pytest

from graph.contracts import Side
from graph.errors import InputError
from services import diff as diffs

TWO_HUNKS = """\
diff --git a/app.py b/app.py
index 1..2 100644
--- a/app.py
+++ b/app.py
@@ -1,4 +1,5 @@
 import os
-x = 1
+x = 2
+y = 3
 z = 4
 w = 5
@@ -20,3 +21,4 @@ def f():
     a = 1
+    b = 2
     c = 3
     d = 4
"""


def test_parse_numbers_new_and_old_lines() -> None:
    (change,) = diffs.parse(TWO_HUNKS)
    assert change.path == "app.py"
    assert change.status == "modified"
    assert change.changed_lines == 3
    assert sorted(change.right) == [1, 2, 3, 4, 5, 21, 22, 23, 24]
    assert 2 in change.left and change.left[2] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("hello, this is not a diff\n", "not a unified diff"),
        (TWO_HUNKS.rsplit("\n", 3)[0] + "\n", "malformed or truncated"),
        ("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n", "malformed or truncated"),
    ],
)
def test_parse_rejects_unusable_input_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        diffs.parse(text)


def test_crlf_lines_keep_their_numbers_and_content() -> None:
    crlf = TWO_HUNKS.replace("\n", "\r\n")
    (change,) = diffs.parse(crlf)
    assert sorted(change.right) == [1, 2, 3, 4, 5, 21, 22, 23, 24]
    (c,) = diffs.chunk([change], 10_000)
    assert "     2        + x = 2" in c.text
    assert "\r" not in c.text


def test_numbered_view_shows_new_and_old_columns() -> None:
    (c,) = diffs.chunk(diffs.parse(TWO_HUNKS), 10_000)
    lines = c.text.splitlines()
    assert lines[0] == '### file "app.py" (modified)'
    assert "            2 - x = 1" in lines
    assert "    22        +     b = 2" in lines
    assert "    21     20       a = 1" in lines


def _many_files(n: int, lines: int) -> str:
    out = []
    for i in range(n):
        body = "".join(f"+line {j} of file {i}\n" for j in range(lines))
        out.append(
            f"diff --git a/f{i}.py b/f{i}.py\nnew file mode 100644\n--- /dev/null\n"
            f"+++ b/f{i}.py\n@@ -0,0 +1,{lines} @@\n{body}"
        )
    return "".join(out)


def test_chunks_cover_every_added_line_exactly_once() -> None:
    files = diffs.parse(_many_files(7, 300))
    chunks = diffs.chunk(files, budget_tokens=1000)
    assert len(chunks) > 7  # files had to be split inside a hunk
    shown = [line for c in chunks for line in c.text.splitlines() if " + line " in line]
    assert len(shown) == 7 * 300
    assert len(set(shown)) == 7 * 300
    assert sum(c.changed_lines for c in chunks) == 7 * 300
    assert all(len(c.text) <= 1000 * diffs.CHARS_PER_TOKEN + 200 for c in chunks)


def test_small_files_share_a_chunk() -> None:
    chunks = diffs.chunk(diffs.parse(_many_files(5, 3)), budget_tokens=10_000)
    assert len(chunks) == 1
    assert chunks[0].paths == [f"f{i}.py" for i in range(5)]


def test_select_skips_binary_deleted_and_lockfiles_with_reasons() -> None:
    text = (
        _many_files(1, 2) + "diff --git a/logo.png b/logo.png\nindex 1..2 100644\n"
        "Binary files a/logo.png and b/logo.png differ\n"
        "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-gone\n"
        "diff --git a/poetry.lock b/poetry.lock\n--- a/poetry.lock\n+++ b/poetry.lock\n"
        "@@ -1 +1 @@\n-a\n+b\n"
    )
    chosen, skipped = diffs.select(diffs.parse(text))
    assert [f.path for f in chosen] == ["f0.py"]
    assert skipped == {
        "logo.png": "binary file",
        "old.py": "file deleted",
        "poetry.lock": "excluded (lockfile, generated, minified or vendored)",
    }
    chosen, _ = diffs.select(diffs.parse(text), include=["*.lock"])
    assert [f.path for f in chosen] == ["poetry.lock"]


def test_anchor_uses_last_shown_line_and_start_in_the_same_hunk() -> None:
    anchors = diffs.Anchors(diffs.parse(TWO_HUNKS))
    a = anchors.anchor("app.py", Side.RIGHT, 2, 3)
    assert (a.line, a.start_line) == (3, 2)
    # A range across two hunks anchors in the hunk of its last shown line only.
    a = anchors.anchor("app.py", Side.RIGHT, 4, 22)
    assert (a.line, a.start_line) == (22, 21)
    a = anchors.anchor("app.py", Side.RIGHT, 22, 22)
    assert (a.line, a.start_line) == (22, None)


def test_anchor_is_none_off_the_diff_or_for_unknown_files() -> None:
    anchors = diffs.Anchors(diffs.parse(TWO_HUNKS))
    assert anchors.anchor("app.py", Side.RIGHT, 10, 15) is None
    assert anchors.anchor("other.py", Side.RIGHT, 1, 1) is None
    left = anchors.anchor("app.py", Side.LEFT, 2, 2)
    assert left is not None and left.side == Side.LEFT


def test_single_hunk_right_only_for_new_side_lines_of_one_hunk() -> None:
    anchors = diffs.Anchors(diffs.parse(TWO_HUNKS))
    assert anchors.single_hunk_right("app.py", 2, 3)
    assert not anchors.single_hunk_right("app.py", 5, 21)
    assert not anchors.single_hunk_right("app.py", 7, 7)


# --- who reads which file -------------------------------------------------------------------


def _with_readme() -> str:
    return _many_files(1, 2) + (
        "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
        "@@ -1 +1,2 @@\n # Title\n+More words.\n"
    )


def test_select_says_it_was_this_reviewers_own_patterns() -> None:
    files = diffs.parse(_with_readme())
    _, skipped = diffs.select(files, exclude=["*.md"])
    assert skipped == {"README.md": "in this reviewer's exclude patterns"}
    _, skipped = diffs.select(files, include=["*.md"])
    assert skipped == {"f0.py": "not in this reviewer's include patterns"}


def test_coverage_names_who_did_not_read_a_file_and_who_did() -> None:
    from nodes.fetch import who_skipped

    files = diffs.parse(
        _with_readme() + "diff --git a/logo.png b/logo.png\nindex 1..2 100644\n"
        "Binary files a/logo.png and b/logo.png differ\n"
    )
    skipped = {
        "security": diffs.select(files, exclude=["*.md"])[1],
        "performance": diffs.select(files, exclude=["*.md"])[1],
        "style": diffs.select(files)[1],
    }
    assert who_skipped(skipped) == {
        "README.md": "not reviewed by security, performance: in this reviewer's exclude "
        "patterns (reviewed by style)",
        "logo.png": "binary file",
    }


def test_chunks_of_a_split_file_name_it_in_each_part() -> None:
    (change,) = diffs.parse(_many_files(1, 400))
    chunks = diffs.chunk([change], budget_tokens=500)
    assert len(chunks) > 2
    assert all(c.paths == ["f0.py"] for c in chunks)
    assert sum(c.changed_lines for c in chunks) == 400
    assert chunks[1].text.startswith(f'### file "f0.py" (added) part 2/{len(chunks)}')

"""One enormous line: cut for the model with a note, never sent whole."""

from __future__ import annotations

from services import diff as diffs

BUDGET_TOKENS = 12_000


def _one_line_file(length: int) -> str:
    return (
        "diff --git a/dist/app.js b/dist/app.js\nnew file mode 100644\n--- /dev/null\n"
        f"+++ b/dist/app.js\n@@ -0,0 +1,2 @@\n+var a = '{'x' * length}';\n+eval(a)\n"
    )


def test_a_two_megabyte_line_is_cut_to_the_chunk_budget_with_a_note() -> None:
    files = diffs.parse(_one_line_file(2_000_000))
    chunks = diffs.chunk(files, BUDGET_TOKENS)
    budget = BUDGET_TOKENS * diffs.CHARS_PER_TOKEN
    assert all(len(c.text) <= budget + 200 for c in chunks)
    text = "\n".join(c.text for c in chunks)
    assert "line cut here" in text and "eval(a)" in text  # the next line is still read
    assert sum(c.changed_lines for c in chunks) == 2
    (note,) = [n for c in chunks for n in diffs.cut_notes(c.text)]
    assert note.startswith("dist/app.js:1: a very long line was cut for the model")


def test_ordinary_lines_are_not_cut() -> None:
    chunks = diffs.chunk(diffs.parse(_one_line_file(300)), BUDGET_TOKENS)
    assert "line cut here" not in chunks[0].text
    assert diffs.cut_notes(chunks[0].text) == []

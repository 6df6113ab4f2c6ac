"""Widening a hunk to its enclosing function or class, and showing it as citable context."""

from __future__ import annotations

from services import citations, guidelines, widen
from services import diff as diffs

PY = [
    "class Store:",  # 1
    "    def get(self, key):",  # 2
    "        if key in self.items:",  # 3
    "            return self.items[key]",  # 4
    "        return None",  # 5
    "",  # 6
    "    def put(self, key, value):",  # 7
    "        self.items[key] = value",  # 8
]
JS = [
    "export function total(items) {",  # 1
    "  let sum = 0;",  # 2
    "  for (const item of items) {",  # 3
    "    sum += item.price;",  # 4
    "  }",  # 5
    "  return sum;",  # 6
    "}",  # 7
    "const other = 1;",  # 8
]


def test_a_python_hunk_widens_to_its_method_not_the_next_one() -> None:
    assert widen.enclosing(PY, 4, 4) == (2, 6)


def test_a_brace_language_hunk_widens_to_the_matching_closing_brace() -> None:
    assert widen.enclosing(JS, 4, 4) == (1, 7)


def test_code_outside_any_definition_is_not_widened() -> None:
    assert widen.enclosing(["x = 1", "y = 2", "z = 3"], 2, 2) is None


DIFF = """\
--- a/store.py
+++ b/store.py
@@ -3,3 +3,3 @@ class Store:
         if key in self.items:
-            return self.items.get(key)
+            return self.items[key]
         return None
"""


def test_context_lines_are_citable_but_never_anchors() -> None:
    (change,) = diffs.parse(DIFF)
    extra = widen.around(change, "\n".join(PY))
    assert extra == {"2": "    def get(self, key):", "6": ""}
    (chunk,) = widen.annotate(diffs.chunk([change], 10_000), {"store.py": extra or {}})
    assert '### context "store.py"' in chunk.text
    shown = citations.read(chunk.text)
    assert {2, 6} <= shown.lines("store.py", diffs.Side.RIGHT)
    assert 2 not in shown.added.get("store.py", {})
    assert diffs.Anchors([change]).anchor("store.py", diffs.Side.RIGHT, 2, 2) is None


def test_a_file_that_is_not_the_reviewed_version_gives_no_context() -> None:
    (change,) = diffs.parse(DIFF)
    assert widen.around(change, "\n".join(PY).replace("[key]", "(key)")) is None


def test_guidelines_are_bounded_per_file_and_in_total() -> None:
    text = guidelines.combine(
        {"AGENTS.md": "a" * 5_000, "CONTRIBUTING.md": "b" * 3_000, "x.md": "c" * 3_000},
        ["AGENTS.md", "CONTRIBUTING.md", "x.md"],
    )
    assert "[... cut here: too long]" in text
    assert "== x.md == [left out" in text
    assert len(text) < guidelines.MAX_TOTAL + 200

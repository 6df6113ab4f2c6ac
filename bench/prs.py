"""Pull requests to measure with: the three examples as one small PR, and a generated large one.

The large PR looks like a real one to every part of the reviewer: modified files with several
hunks (context, deletions, additions), new files, docs and configuration that some specialists
skip by their patterns, lockfiles, vendored and minified files that everyone skips by default,
a binary and a deleted file. Every added line carries a unique token, so a test can tell
exactly which changed lines reached which specialist; a few lines trip the rule-based test
model's rules, so there are findings to merge. The output is deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import EXAMPLES


def small_pr() -> str:
    """Three files, one per example: an injection, an N+1 query, naming and magic numbers."""
    names = ("sql_injection.diff", "n_plus_one.diff", "naming.diff")
    return "".join((EXAMPLES / n).read_text(encoding="utf-8") for n in names)


@dataclass(frozen=True)
class _Kind:
    folder: str
    suffix: str
    count: int
    new: bool = False


# 200 files in all; the order is the order they appear in the diff.
_KINDS = (
    _Kind("app/mod", ".py", 150),
    _Kind("app/new", ".py", 20, new=True),
    _Kind("docs/page", ".md", 10),
    _Kind("config/settings", ".json", 8),
    _Kind("deploy/values", ".yaml", 5),
    _Kind("vendor/lib", ".js", 2, new=True),
)
_SPECIAL = 5  # poetry.lock, package-lock.json, app.min.js, a binary, a deletion

# Lines that the rule-based model (tests/servers/panel_model.py) reports, one kind each.
_TRIGGERS = (
    '    rows = db.execute(f"SELECT * FROM t WHERE id = {{item_id}}")  # {tok}',
    "    for row in rows:\n+        db.query(row.id)  # {tok}",
    "def f(x):  # {tok}",
    "    rate = amount * 1.0825  # {tok}",
)


def _code(tok: str, rng: random.Random) -> str:
    name = rng.choice(("total", "count", "items", "result", "value", "buffer", "index"))
    op = rng.choice(("+", "-", "*", "//"))
    return f"    {name}_{tok} = compute({name}, {rng.randint(1, 99)}) {op} offset  # {tok}"


def _text(tok: str, suffix: str) -> str:
    if suffix == ".md":
        return f"Paragraph {tok} explains how the module is configured and used."
    if suffix == ".json":
        return f'  "{tok}": {{"enabled": true, "limit": 10}},'
    if suffix == ".yaml":
        return f"  {tok}: enabled"
    if suffix == ".js":
        return f"function {tok}(a, b) {{ return a + b; }}"
    return f"line {tok}"


def _added_lines(prefix: str, n: int, suffix: str, rng: random.Random) -> list[str]:
    """``n`` added lines (each one physical line of the diff, starting with ``+``)."""
    out: list[str] = []
    i = 0
    while len(out) < n:
        tok = f"{prefix}_{i}"
        i += 1
        if suffix == ".py" and rng.random() < 0.01 and len(out) + 2 <= n:
            text = rng.choice(_TRIGGERS).format(tok=tok)
            out.extend("+" + part.removeprefix("+") for part in text.split("\n"))
        elif suffix == ".py":
            out.append("+" + _code(tok, rng))
        else:
            out.append("+" + _text(tok, suffix))
    return out


def _new_file(path: str, added: list[str]) -> str:
    header = f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
    return header + f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(added)} @@\n" + _lines(added)


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _modified_file(path: str, added: list[str], rng: random.Random) -> str:
    """A file with 1 to 4 hunks: three lines of context around deletions and additions."""
    hunks = max(1, min(4, len(added) // 8))
    cuts = sorted(rng.sample(range(1, len(added)), hunks - 1)) if hunks > 1 else []
    parts = [added[a:b] for a, b in zip([0, *cuts], [*cuts, len(added)], strict=True)]
    out = [f"diff --git a/{path} b/{path}\nindex 2222222..3333333 100644\n"]
    out.append(f"--- a/{path}\n+++ b/{path}\n")
    old = new = 10
    for h, part in enumerate(parts):
        removed = [f"-    legacy_{h}_{k} = old_compute({k})" for k in range(rng.randint(0, 3))]
        before = [f"     context_{h}_a = 1", f"     context_{h}_b = 2", f"     context_{h}_c = 3"]
        after = [f"     context_{h}_d = 4", f"     context_{h}_e = 5", f"     context_{h}_f = 6"]
        old_len = len(before) + len(removed) + len(after)
        new_len = len(before) + len(part) + len(after)
        out.append(f"@@ -{old},{old_len} +{new},{new_len} @@ def section_{h}():\n")
        out.append(_lines([*before, *removed, *part, *after]))
        old += old_len + 20
        new += new_len + 20
    return "".join(out)


def large_pr(files: int = 200, changed_lines: int = 10_000, seed: int = 7) -> str:
    """A unified diff of ``files`` files with exactly ``changed_lines`` added lines."""
    rng = random.Random(seed)
    scale = files / (sum(k.count for k in _KINDS) + _SPECIAL)
    plan = [
        (f"{k.folder}{i}{k.suffix}", k)
        for k in _KINDS
        for i in range(max(1, round(k.count * scale)))
    ][: files - _SPECIAL]
    lock_lines = 40
    budget = changed_lines - 2 * lock_lines - 1  # lockfiles and the minified line
    weights = [rng.uniform(0.5, 1.5) for _ in plan]
    sizes = [max(1, int(budget * w / sum(weights))) for w in weights]
    sizes[0] += budget - sum(sizes)
    out: list[str] = []
    for n, ((path, kind), size) in enumerate(zip(plan, sizes, strict=True)):
        added = _added_lines(f"t{n}", size, kind.suffix, rng)
        out.append(_new_file(path, added) if kind.new else _modified_file(path, added, rng))
    locks = [f'+"pkg{i}" = "1.{i}.0"' for i in range(lock_lines)]
    out.append(_new_file("poetry.lock", locks))
    out.append(_new_file("package-lock.json", [f'+  "dep{i}": "{i}.0.0",' for i in range(40)]))
    out.append(_new_file("static/app.min.js", ["+function a(b){return b+1}" * 3]))
    out.append(
        "diff --git a/static/logo.png b/static/logo.png\nindex 4444444..5555555 100644\n"
        "Binary files a/static/logo.png and b/static/logo.png differ\n"
    )
    out.append(
        "diff --git a/app/obsolete.py b/app/obsolete.py\ndeleted file mode 100644\n"
        "index 6666666..0000000\n--- a/app/obsolete.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n"
        "-def gone():\n-    return None\n"
    )
    return "".join(out)


def real_code_pr(kib: int = 1000) -> str:
    """New files of real Python (this interpreter's standard library) up to ``kib`` KiB.

    Real code compresses about as well as a real diff does, unlike the generated one above
    (whose lines repeat a pattern), so this is the diff to measure storage with.
    """
    root = Path(json.__file__).resolve().parents[1]
    out: list[str] = []
    size = 0
    for source in sorted(root.glob("[a-z]*/*.py")):
        if "test" in source.parts[-2] or "site-packages" in source.parts:
            continue
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = [line for line in text.splitlines() if "\r" not in line]
        if not lines:
            continue
        path = f"lib/{source.parent.name}/{source.name}"
        part = _new_file(path, ["+" + line for line in lines])
        out.append(part)
        size += len(part.encode())
        if size >= kib * 1024:
            break
    return "".join(out)

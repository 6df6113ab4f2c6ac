"""The draft page as HTML, rendered from a thread's state without a server."""

from __future__ import annotations

import re

from bench.inbox_page import render_once, state


def page(comments: int = 2) -> str:
    return render_once(state(comments))


def test_each_comment_shows_its_place_code_views_and_suggestion_as_a_diff() -> None:
    html = page()
    assert "<code>src/module_0.py:2-3</code>" in html
    assert '<span class="ln add"><span class="no">2</span><span class="mk">+</span>' in html
    suggestion = html.split("Suggested change", 1)[1].split("</pre>", 1)[0]
    assert re.search(r'class="ln del">.*?-</span>query = f&#34;SELECT', suggestion)
    assert re.search(r'class="ln add">.*?\+</span>rows = db.execute\(query, \(uid,\)\)', suggestion)
    assert "the reviewers disagree" in html
    assert "Orchestrator's resolution: The more severe view holds." in html
    assert "by security, performance" in html


def test_model_text_is_escaped_and_no_script_is_sent() -> None:
    html = page()
    assert "&lt;script&gt;alert(0)&lt;/script&gt;" in html
    assert "<script" not in html


def test_keep_edit_drop_per_comment_and_approve_offered_to_the_person() -> None:
    html = page(comments=3)
    for i in range(3):
        cid = f"c-{i:08x}"
        for choice in ("keep", "edit", "drop"):
            assert f'name="action.{cid}" value="{choice}"' in html
        assert f'<label for="body-{cid}">' in html
    assert 'name="verdict" value="APPROVE"' in html
    assert 'name="action" value="approve"' in html and 'name="action" value="reject"' in html

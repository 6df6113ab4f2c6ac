"""Benchmark: the inbox's draft page for a 50-comment review (target: < 300 ms).

Builds a paused thread's state in memory (a diff of 50 files, one comment each, with code
lines, two perspectives and a suggestion) and times two things:

- the render: the state read into the view (parsing the diff for the anchored lines) and the
  template rendered, as ``GET /inbox/{thread_id}`` does once the back end has the state;
- the request: that ``GET`` through the inbox's real routes (Starlette, sign-in by cookie,
  security headers) over httpx's ASGI transport, with a back end that holds the thread in
  memory, so no database time is counted.

Prints figures.

    .venv/bin/python -m bench.inbox_page [--comments 50] [--repeat 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from graph.contracts import (
    Anchor,
    DraftReview,
    Perspective,
    ReviewComment,
    Severity,
    Side,
    Source,
    Verdict,
)
from graph.threads import from_parts
from web.inbox.auth import Who
from web.inbox.pages import render
from web.inbox.threads import ThreadView
from web.inbox.view import draft_view

TARGET_MS = 300.0
SUGGESTION = 'query = "SELECT * FROM t WHERE id = ?"\nrows = db.execute(query, (uid,))'


def state(comments: int) -> dict[str, Any]:
    diff, items = [], []
    for i in range(comments):
        path = f"src/module_{i}.py"
        diff += [
            f"diff --git a/{path} b/{path}",
            f"--- a/{path}",
            f"+++ b/{path}",
            "@@ -1,3 +1,6 @@",
            " import os",
            "-x = 1",
            f'+query = f"SELECT * FROM t{i} WHERE id = {{uid}}"',
            "+rows = db.execute(query)",
            "+for row in rows:",
            "+    print(row)",
            " y = 2",
        ]
        severity = list(Severity)[i % 5]
        items.append(
            ReviewComment(
                id=f"c-{i:08x}",
                path=path,
                start_line=2,
                end_line=3,
                side=Side.RIGHT,
                severity=severity,
                category="sql-injection",
                title=f"SQL built from an f-string <script>alert({i})</script>",
                body=f"**{severity.upper()}** SQL built from an f-string.\n\n" + "Bind it. " * 40,
                perspectives=[
                    Perspective(
                        specialist="security",
                        severity=severity,
                        title="Injection",
                        rationale="Bind the value.",
                    ),
                    Perspective(
                        specialist="performance",
                        severity=Severity.LOW,
                        title="Query per row",
                        rationale="Batch it.",
                    ),
                ],
                suggestion=SUGGESTION,
                anchor=Anchor(line=3, side=Side.RIGHT, start_line=2, start_side=Side.RIGHT),
                resolution="The more severe view holds.",
            )
        )
    draft = DraftReview(
        summary="The panel reviewed the change.",
        verdict=Verdict.REQUEST_CHANGES,
        verdict_reason="high findings",
        comments=items,
    )
    source = Source(
        kind="github",
        label="octo/app#1",
        owner="octo",
        repo="app",
        number=1,
        head_sha="a" * 40,
        html_url="https://github.com/octo/app/pull/1",
    )
    return {
        "target": "octo/app#1",
        "diff": "\n".join(diff) + "\n",
        "source": source.model_dump(mode="json"),
        "draft": draft.model_dump(mode="json"),
    }


def view_of(values: dict[str, Any]) -> ThreadView:
    info = from_parts(
        "bench-thread",
        values=values,
        interrupts=[{"review_configs": [{"allowed_decisions": ["approve", "edit", "reject"]}]}],
        next_nodes=("approve",),
        error=None,
        metadata={},
        created="2026-01-01T00:00:00+00:00",
    )
    return ThreadView(info, "checkpoint-1", "2026-01-01T00:00:00+00:00")


def render_once(values: dict[str, Any]) -> str:
    view = view_of(values)
    who = Who("token", "token holder", bearer=False)
    return render("draft.html", d=draft_view(view), who=who, csrf="x" * 32, pr_url="")


class _Memory:
    """A ``Threads`` back end holding one paused thread."""

    def __init__(self, view: ThreadView) -> None:
        self.view = view

    async def paused(self) -> list[ThreadView]:
        return [self.view]

    async def get(self, thread_id: str) -> ThreadView | None:
        return self.view if thread_id == self.view.info.thread_id else None

    async def resume(self, thread_id: str, checkpoint_id: str, value: Any) -> ThreadView:
        raise NotImplementedError


async def requests(values: dict[str, Any], repeat: int) -> list[float]:
    import httpx
    from starlette.applications import Starlette

    from web.inbox import sessions
    from web.inbox.config import InboxSettings
    from web.inbox.routes import Inbox, routes

    settings = InboxSettings(token="bench-token", session_key=b"k" * 32)
    app = Starlette(routes=routes)
    app.state.inbox = Inbox.create(_Memory(view_of(values)), settings)
    cookie = sessions.encode(sessions.new_session("token"), settings.session_key)
    transport = httpx.ASGITransport(app=app)
    times = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        client.cookies.set(sessions.COOKIE, cookie)
        for _ in range(repeat + 1):
            start = time.perf_counter()
            answer = await client.get("/inbox/bench-thread")
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, answer.status_code
    return times[1:]  # the first one warms up


def _figures(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return statistics.median(times), ordered[int(0.9 * (len(times) - 1))], ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    values = state(args.comments)
    html = render_once(values)  # warm: template compiled, modules imported
    assert html.count('<fieldset class="comment') == args.comments
    assert "<script>alert(" not in html
    times = []
    for i in range(args.repeat):
        fresh = dict(values, diff=values["diff"] + f"# run {i}\n")  # no parse cache hit
        start = time.perf_counter()
        render_once(fresh)
        times.append((time.perf_counter() - start) * 1000)
    median, p90, worst = _figures(times)
    print(f"draft page, {args.comments} comments, {len(html) // 1024} KiB of HTML")
    print(
        f"render (state -> view -> HTML): median {median:.1f} ms, p90 {p90:.1f} ms, "
        f"worst {worst:.1f} ms over {args.repeat} runs"
    )
    served = asyncio.run(requests(values, args.repeat))
    s_median, s_p90, s_worst = _figures(served)
    print(
        f"GET /inbox/{{thread}} (routes, cookie sign-in, render): median {s_median:.1f} ms, "
        f"p90 {s_p90:.1f} ms, worst {s_worst:.1f} ms over {args.repeat} requests"
    )
    met = max(median, s_median) < TARGET_MS
    print(f"target < {TARGET_MS:.0f} ms (median): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

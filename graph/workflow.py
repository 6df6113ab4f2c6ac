"""The workflow's wiring, and nothing else.

    fetch ─┬─> security ────┐
           ├─> performance ─┼─> orchestrate ─> approve ─(approve/edit)─> post
           └─> style ───────┘      ^                   ├─(reject)─> END
                                   └──── retry <───────┘ (re-run failed calls only)

Specialists are the roster of files in ``prompts/`` with ``kind: specialist`` (those not
marked optional, or the names in ``REVIEW_PANEL_SPECIALISTS``, read here): one node each, all
started by ``fetch`` in one superstep (each reviews its chunks of the diff as tasks), joined
once before ``orchestrate``. The other nodes are ``graph.steps.STEPS``. ``graph`` is compiled
without a checkpointer, as LangGraph's server and ``langgraph dev`` require (they bring their
own persistence); the CLI compiles ``build_graph()`` with SQLite or Postgres.
"""

from __future__ import annotations

from pathlib import Path

from langgraph.graph import END, START, StateGraph

from graph.context import Context
from graph.state import InputState, ReviewState
from graph.steps import APPROVE, FETCH, ORCHESTRATE, POST, RETRY
from nodes.approve import approve
from nodes.fetch import make_fetch
from nodes.orchestrate import make_orchestrate
from nodes.post import post
from nodes.retry import make_retry
from nodes.specialist import make_specialist
from services.prompts import active_roster


def build_graph(
    prompts_dir: Path | None = None,
    specialists: str | None = None,
) -> StateGraph[ReviewState, Context, InputState, ReviewState]:
    """The uncompiled workflow, with one node per specialist in the roster.

    The roster is every specialist file in ``prompts_dir`` not marked optional, or the names
    in ``specialists`` (default: ``$REVIEW_PANEL_SPECIALISTS``, e.g.
    ``security,performance,style,correctness``).
    """
    roster = [p.name for p in active_roster(prompts_dir, specialists)]
    builder = StateGraph(ReviewState, context_schema=Context, input_schema=InputState)
    builder.add_node(FETCH, make_fetch(roster, prompts_dir), destinations=tuple(roster))
    for name in roster:
        builder.add_node(name, make_specialist(name, prompts_dir))
    builder.add_node(ORCHESTRATE, make_orchestrate(prompts_dir))
    builder.add_node(APPROVE, approve, destinations=(POST, RETRY, END))
    builder.add_node(RETRY, make_retry(prompts_dir))
    builder.add_node(POST, post, destinations=(APPROVE, END))
    builder.add_edge(START, FETCH)
    builder.add_edge(roster, ORCHESTRATE)
    builder.add_edge(ORCHESTRATE, APPROVE)
    builder.add_edge(RETRY, ORCHESTRATE)
    return builder


graph = build_graph().compile(name="review-panel")

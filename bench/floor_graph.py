"""The platform alone: a graph of the panel's shape that does none of the panel's work.

Three nodes in one superstep each make one model call, a fourth makes one more after them,
a fifth pauses on ``interrupt``: the review's two model rounds and its pause, through the
same langchain-openai client and the same server, with no fetch, no diff, no GitHub, no
prompts, no checks. ``python -m bench.floor`` runs a burst of it under ``langgraph dev``
beside ``bench.webhook``'s burst of real reviews: what one server process costs a run on
its own (its queue, API, checkpoints, the model client) is what no change of ours removes.
"""

from __future__ import annotations

import operator
import os
from typing import Annotated, Any, TypedDict

from langchain_openai import ChatOpenAI
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt

ROLES = ("security", "performance", "style")


class State(TypedDict, total=False):
    n: int
    answers: Annotated[list[str], operator.add]
    summary: str


_model: ChatOpenAI | None = None


def _chat() -> ChatOpenAI:
    global _model
    if _model is None:  # one client per process, as services.model keeps
        _model = ChatOpenAI(
            model="floor",
            base_url=os.environ["OPENAI_BASE_URL"],
            api_key=os.environ.get("OPENAI_API_KEY", "floor"),  # type: ignore[arg-type]
            max_retries=0,
            disable_streaming=True,
        )
    return _model


def _specialist(role: str) -> Any:
    async def node(state: State) -> State:
        reply = await _chat().ainvoke(f"floor run {state['n']} role {role}")
        return {"answers": [str(reply.content)]}

    return node


async def _orchestrate(state: State) -> State:
    reply = await _chat().ainvoke(f"floor run {state['n']} role orchestrator")
    return {"summary": str(reply.content)}


def _approve(state: State) -> State:
    interrupt({"summary": state.get("summary", "")})
    return {}


_builder = StateGraph(State)
for _role in ROLES:
    _builder.add_node(_role, _specialist(_role))
    _builder.add_edge(START, _role)
_builder.add_node("orchestrate", _orchestrate)
_builder.add_node("approve", _approve)
_builder.add_edge(list(ROLES), "orchestrate")
_builder.add_edge("orchestrate", "approve")
graph = _builder.compile()

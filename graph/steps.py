"""The workflow's fixed steps: their names, one constant each, and the signature of a node.

The names are the single source for everything that refers to a node by name: the wiring
(``graph/workflow.py`` adds exactly ``STEPS`` plus one node per specialist), the names a
specialist file may not take (``RESERVED``, checked when a prompt file is loaded, so a file
named ``retry`` is refused with its path instead of breaking ``build_graph`` and the graph's
import in Studio), and the CLI's progress output, which reads LangGraph's per-node updates.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:  # a leaf at run time: prompt validation imports the names cheaply
    from langgraph.runtime import Runtime
    from langgraph.types import Command

    from graph.context import Context
    from graph.state import ReviewState

FETCH: Final = "fetch"
ORCHESTRATE: Final = "orchestrate"
APPROVE: Final = "approve"
RETRY: Final = "retry"
POST: Final = "post"
STEPS: Final = (FETCH, ORCHESTRATE, APPROVE, RETRY, POST)  # every node but the specialists

# Not nodes, but names that share the node namespace: the specialists' LangGraph task (its
# results stream as updates under this name) and the orchestrator's prompt, which is a
# participant beside the specialists in usage and cost.
REVIEW_TASK: Final = "review_one_chunk"
ORCHESTRATOR: Final = "orchestrator"

RESERVED: Final = frozenset({*STEPS, REVIEW_TASK, ORCHESTRATOR})


class Node(Protocol):
    """A step: reads the state and the run's settings, returns the state keys it writes."""

    def __call__(self, state: ReviewState, runtime: Runtime[Context]) -> Awaitable[ReviewState]:
        ...


class FanOut(Protocol):
    """A step that also chooses where the run goes next (``fetch`` starts the specialists)."""

    def __call__(self, state: ReviewState, runtime: Runtime[Context]) -> Awaitable[Command[Any]]:
        ...

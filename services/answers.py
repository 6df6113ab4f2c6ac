"""The schema a specialist's model fills, with a cap on findings per answer (``maxItems``).

An answer that does not fit the output limit is cut off and useless, so each prompt file's
``max_findings`` goes into the schema the model fills, where constrained decoding (OpenAI's
strict ``json_schema``, llama.cpp's grammars) enforces it and other servers read it as an
instruction. Parsing stays lenient: a model that ignores the cap loses nothing, the extra
findings are kept.

The schema is generated once per (answer model, cap) and reused: langchain-openai and the
OpenAI SDK ask the model class for its JSON schema on every call (``model_json_schema``),
which costs milliseconds per call on the path between a free slot and the request.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, TypeVar

from pydantic import BaseModel

from graph.contracts import SpecialistAnswer, answer_schema

A = TypeVar("A", bound=BaseModel)


@functools.lru_cache(maxsize=64)
def capped(base: type[A], max_findings: int) -> type[A]:
    """``base`` (an answer with a ``findings`` list) whose schema allows ``max_findings``.

    The result validates like ``base`` and is a subclass of it; only its JSON schema differs,
    and that schema is computed once.
    """
    schema = base.model_json_schema()
    findings = schema["properties"]["findings"]
    findings["maxItems"] = max_findings
    findings["description"] = (
        f"{findings.get('description', '').rstrip()} At most {max_findings}: "
        "the most important ones."
    ).strip()

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:  # another mode or ref template: let pydantic make it
            return _uncapped(cls, *args, **kwargs) | {}
        return copy.deepcopy(schema)  # callers (the OpenAI SDK) edit what they get

    def _uncapped(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        out = BaseModel.model_json_schema.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined]
        out["properties"]["findings"]["maxItems"] = max_findings
        return dict(out)

    namespace = {
        "__module__": base.__module__,
        "__doc__": base.__doc__,
        "model_json_schema": classmethod(model_json_schema),
    }
    return type(base.__name__, (base,), namespace)


def specialist_answer(
    max_findings: int, categories: tuple[str, ...] | None = None
) -> type[SpecialistAnswer]:
    """The answer schema of one specialist call: its categories (if it declares them), capped."""
    return capped(answer_schema(categories), max_findings)

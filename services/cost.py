"""Estimated cost of a review: tokens per participant priced from a small, explicit table.

Prices are in USD per million tokens. The built-in table holds OpenAI's published list prices
and applies only when the endpoint *is* OpenAI (no ``base_url``): the same model name served by
Azure, vLLM or a local server costs something else, or nothing. ``REVIEW_PANEL_PRICES``
(``Context.prices``) adds or overrides entries for any endpoint. A model with no price is
reported as unknown; a number is never made up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from graph.context import Context
from graph.contracts import CostEstimate, CostLine, Usage
from graph.steps import ORCHESTRATOR

# OpenAI list prices (input, output) in USD per 1M tokens, standard tier, as published in 2025.
# Check https://openai.com/api/pricing and override with REVIEW_PANEL_PRICES when they move.
OPENAI_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
}

_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-4o-mini-2024-07-18 -> gpt-4o-mini


def price_table(context: Context) -> dict[str, tuple[float, float]]:
    """The prices that apply to this run's endpoint: built-in (OpenAI only) plus configured."""
    table = dict(OPENAI_PRICES) if not context.base_url else {}
    for model, price in context.prices.items():
        table[model] = (float(price["input"]), float(price["output"]))
    return table


def price_of(model: str, table: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    """The model's price: its exact name, else its name without a dated snapshot suffix."""
    if model in table:
        return table[model]
    return table.get(_SNAPSHOT.sub("", model))


def models_by_participant(
    specialists: Iterable[tuple[str, str | None]], orchestrator: str | None, default: str
) -> dict[str, str]:
    """Who used which model: a prompt's own ``model`` key, else the run's model."""
    models = {name: model or default for name, model in specialists}
    models[ORCHESTRATOR] = orchestrator or default
    return models


def estimate(
    usage: Mapping[str, Usage], models: Mapping[str, str], context: Context
) -> CostEstimate:
    """Tokens and estimated USD per participant and in total."""
    table = price_table(context)
    lines: dict[str, CostLine] = {}
    unpriced: list[str] = []
    for who, used in usage.items():
        model = models.get(who, context.model)
        price = price_of(model, table)
        usd = None
        if price is None:
            if model not in unpriced:
                unpriced.append(model)
        else:
            usd = (used.prompt_tokens * price[0] + used.completion_tokens * price[1]) / 1e6
        lines[who] = CostLine(
            model=model,
            prompt_tokens=used.prompt_tokens,
            completion_tokens=used.completion_tokens,
            usd=usd,
        )
    priced = sum(line.usd for line in lines.values() if line.usd is not None)
    return CostEstimate(
        lines=lines,
        total_usd=None if unpriced else priced,
        priced_usd=priced,
        unpriced=unpriced,
    )


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def summary_lines(cost: CostEstimate) -> list[str]:
    """Human-readable lines: one per participant, then the total (for the draft and ``show``)."""
    out = []
    tokens_in = tokens_out = 0
    for who, line in cost.lines.items():
        tokens_in += line.prompt_tokens
        tokens_out += line.completion_tokens
        out.append(
            f"{who} ({line.model}): {line.prompt_tokens:,} in / {line.completion_tokens:,} out "
            f"tokens, {_usd(line.usd)}"
        )
    total = f"total: {tokens_in:,} in / {tokens_out:,} out tokens, {_usd(cost.total_usd)}"
    if cost.unpriced:
        priced = any(line.usd is not None for line in cost.lines.values())
        rest = f"{_usd(cost.priced_usd)} for the rest; " if priced else ""
        total += f" (no price for {', '.join(cost.unpriced)}; {rest}set REVIEW_PANEL_PRICES)"
    return [*out, total]

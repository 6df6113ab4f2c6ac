"""The Code Review Benchmark (offline set) run against review-panel: ``python -m evals.crb``.

``data/`` holds the benchmark's golden comments with their licence and source; ``golden``
loads them, ``fetch`` gets each PR's diff through the product's GitHub client (cached),
``judge`` asks an LLM whether a comment and a golden comment describe the same issue,
``score`` does the benchmark's arithmetic, and ``run`` puts it together.
"""

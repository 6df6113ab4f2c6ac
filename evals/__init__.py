"""The eval harness: a labelled set of small diffs, and a runner that scores the panel on it.

``python -m evals.run`` reviews every case with the panel (``prompts/``) and with a single
generalist reviewer (``evals/generalist/``, one prompt, same model), through the real graph, and
prints precision, recall and comments per PR, overall and per category. See docs/quality.md.
"""

"""review-panel's workflow: state and contracts, run settings, errors, checkpointers, wiring.

Import ``graph.workflow`` for the graph itself; this package's root stays light so that the
CLI starts fast.
"""

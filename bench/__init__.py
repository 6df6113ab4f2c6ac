"""Benchmarks that print figures (``python -m bench.run``); never timed assertions."""

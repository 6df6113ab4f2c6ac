"""Small modules for the outside world and for pure data work: diffs, prompts, the model,
GitHub, rendering. Nodes call these; these never import nodes or the graph's wiring."""

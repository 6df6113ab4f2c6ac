"""``python -m cli``: the same as the ``review-panel`` console script."""

from cli.app import main

main()

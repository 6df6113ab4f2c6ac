"""``python -m evals.crb``: see ``evals/crb/run.py``."""

from evals.crb.run import main

raise SystemExit(main())

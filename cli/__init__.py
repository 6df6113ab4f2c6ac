"""The ``review-panel`` command line. Nothing imports this package; it enters through graph/."""

"""The ``review-panel`` command line: an entry point that enters the workflow through graph/.

Nothing in graph/, nodes/ or services/ imports it. ``bench/`` drives reviews the way the
CLI does, through ``cli.session``'s public ``open_session`` and ``run_config``.
"""

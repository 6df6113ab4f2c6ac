"""HTTP entry points: the Starlette app that LangGraph's server mounts (``http.app``)."""

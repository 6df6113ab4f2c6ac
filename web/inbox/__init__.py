"""The inbox: paused reviews in a browser, one decision per comment, for signed-in people only.

``routes`` (mounted at ``/inbox``) serve the list of paused drafts, each draft as it would be
posted, and the one endpoint that answers a draft. Where threads live is a back end behind
``threads.Threads``: LangGraph's server (``server.ServerThreads``, the default inside
``langgraph.json``'s ``http.app``) or the CLI's checkpointer (``local.CheckpointerThreads``,
served by ``review-panel inbox``). Who may look is ``auth``'s business; every page is built
from autoescaped templates and sent with a Content-Security-Policy that allows no script.
"""

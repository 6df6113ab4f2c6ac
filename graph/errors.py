"""One error hierarchy for everything review-panel reports to a person.

Every error carries a one-line message that says what went wrong and what to do, and an
exit code the CLI returns. Domain errors also subclass the builtin they refine, so callers
that only know Python's exceptions still catch them sensibly::

    ReviewPanelError (RuntimeError)
    ├── ConfigError (ValueError)            exit 2   settings, missing model configuration
    │   └── PromptError                     exit 2   a prompt file that does not validate
    ├── InputError (ValueError)             exit 3   unreadable, empty or malformed diff / target
    ├── ThreadError (LookupError)           exit 4   unknown, finished or busy thread
    ├── DecisionError (ValueError)          exit 5   a resume value of the wrong shape
    ├── ModelError                          exit 6   the model failed for good: nothing reviewed
    │   └── PartlyReviewedError             exit 7   some model calls failed (review --strict)
    │   └── AnswerCutOff                    exit 6   an answer cut off (the caller splits)
    ├── StoreError (OSError)                exit 8   the checkpoint database cannot be used
    └── GitHubError                         exit 10  GitHub said no
        ├── GitHubAuthError                 exit 11  bad or missing token (401)
        ├── GitHubNotFoundError (LookupError) exit 12 no access, or no such PR (404)
        ├── GitHubRateLimitError            exit 13  rate limited beyond the bounded wait
        ├── GitHubNetworkError (OSError)    exit 14  could not reach the API
        └── GitHubPostError                 exit 15  GitHub refused the review
"""

from __future__ import annotations


class ReviewPanelError(RuntimeError):
    """Base class: a problem a person can act on.

    A ``RuntimeError`` so that LangGraph's server, which replaces the message of most
    exceptions with "An internal error occurred", hands this one to the client as it is:
    a failed run in Studio carries the same line the CLI prints.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ReviewPanelError, ValueError):
    """A setting is missing or invalid."""

    exit_code = 2


class PromptError(ConfigError):
    """A prompt file does not validate; the message names the file and the key."""


class InputError(ReviewPanelError, ValueError):
    """The review target cannot be read or is not a usable diff."""

    exit_code = 3


class ThreadError(ReviewPanelError, LookupError):
    """The thread is unknown, not paused, already finished, or being resumed elsewhere."""

    exit_code = 4


class DecisionError(ReviewPanelError, ValueError):
    """The human's decision does not fit the draft it answers."""

    exit_code = 5


class ModelError(ReviewPanelError):
    """A model call failed for good (after retries and one repair attempt)."""

    exit_code = 6


class PartlyReviewedError(ModelError):
    """Some model calls failed for good, so part of the change was not reviewed.

    Only ``review --strict`` and ``resume --strict`` raise it: by default a partial draft is
    a success (exit 0) that says, in its summary, what was not reviewed.
    """

    exit_code = 7


class AnswerCutOff(ModelError):
    """The model's answer was cut off at the output limit: a caller may ask for less at once.

    Raised instead of a repair attempt only when the caller said it would split the work
    (``call_structured(..., split_cut_off=True)``); otherwise a cut-off answer is repaired.
    """


class StoreError(ReviewPanelError, OSError):
    """The checkpoint database (``--db``) is a directory, unwritable, or not a database."""

    exit_code = 8


class GitHubError(ReviewPanelError):
    """GitHub refused a request; ``status`` is its HTTP status when it answered at all."""

    exit_code = 10

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubAuthError(GitHubError):
    exit_code = 11


class GitHubNotFoundError(GitHubError, LookupError):
    exit_code = 12


class GitHubRateLimitError(GitHubError):
    exit_code = 13

    def __init__(self, message: str, retry_at: float | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class GitHubNetworkError(GitHubError, OSError):
    exit_code = 14


class GitHubPostError(GitHubError):
    exit_code = 15

"""The one error type services raise; transport turns it into ``{ok:false, error}``."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused request. ``code`` is stable (see docs/protocol.md); ``message`` is an
    English msgid translated into the receiver's locale by the transport, with
    ``params`` filled in. ``field`` names the offending field of a document, where the
    answer says which (the referral directory's editor)."""

    def __init__(self, code: str, message: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field
        self.params = params


# The stable refusal codes of the wire contract (docs/protocol.md).
ERROR_CODES = frozenset(
    {
        "invalid",
        "too_large",
        "rate_limited",
        "queue_full",
        "closed",
        "not_found",
        "forbidden",
        "conflict",
        "no_conversation",
        "unauthorized",
        "unavailable",
        "internal",
        # Refusals of a visitor connection whose embed is misconfigured (issue 19):
        "centre_required",
        "unknown_centre",
        "origin_not_allowed",
    }
)


def N_(msgid: str) -> str:
    """Mark a string for extraction; it is translated later, where the locale is known."""
    return msgid


# Standard messages, marked for the catalogs.
MSG_INVALID = N_("The request was not understood.")
MSG_TOO_LARGE = N_("The message is too long.")
MSG_RATE_LIMITED = N_("Too many requests. Please wait a moment and try again.")
MSG_CLOSED = N_("The chat is closed right now.")
MSG_NOT_FOUND = N_("That conversation does not exist or has ended.")
MSG_FORBIDDEN = N_("You are not allowed to do that.")
MSG_CONFLICT = N_("That is not possible in the conversation's current state.")
MSG_NO_CONVERSATION = N_("Start a conversation first.")
#: Someone else saved the same record while this change was being made (compare-and-set).
MSG_CHANGED_MEANWHILE = N_("Someone else changed this at the same time. Please reload and try again.")
MSG_UNAVAILABLE = N_("The service is temporarily unavailable. Please try again.")
MSG_INTERNAL = N_("Something went wrong. Please try again.")
MSG_UNAUTHORIZED = N_("Wrong username, password or code.")
MSG_KEY_MISMATCH = N_(
    "Logging in is not possible right now: the server's secret key does not match its "
    "database. Tell your administrator."
)

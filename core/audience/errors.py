"""What can go wrong in audience mode, each as one plain sentence a user can act on."""

from core.errors import KMeansLabError

ROOM_NOT_FOUND = (
    "There is no open room with that code: check the code with the presenter, or ask them to open a new room."
)
DATABASE_DOWN = "The drawings database cannot be reached right now: try again in a moment."


class AudienceError(KMeansLabError):
    """Base class: ``str(error)`` is one plain sentence for the user."""


class RoomNotFound(AudienceError):
    """A wrong, closed or expired room code: the same message for all three, so codes cannot be probed."""

    def __init__(self, message: str = ROOM_NOT_FOUND):
        super().__init__(message)


class NotAllowed(AudienceError):
    """The presenter key is missing or does not match the room."""


class LimitReached(AudienceError):
    """The room is full, or a participant sends too fast or too many."""


class DatabaseUnavailable(AudienceError):
    """The database cannot be reached (stopped, unreachable, busy for too long)."""

    def __init__(self, message: str = DATABASE_DOWN):
        super().__init__(message)


class InvalidInput(AudienceError, ValueError):
    """A value handed to the store is malformed (pixels, digit, send id, settings, fixed room code)."""

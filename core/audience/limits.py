"""Per-participant limits kept in the participant's session: pure Python, the time passed in.

`SendQuota`: at most one drawing every 2 seconds and 50 in all. `GuessThrottle`: after three wrong room
codes, each further guess waits longer (1, 2, 4 ... seconds, at most a minute), so codes cannot be
enumerated from one session.
"""

from __future__ import annotations

from core.audience.errors import LimitReached

SECONDS_BETWEEN_SENDS = 2.0
MAX_SENDS = 50
FREE_WRONG_GUESSES = 3
MAX_GUESS_WAIT = 60.0


class SendQuota:
    """How many drawings one participant has sent, and when the last one went."""

    def __init__(self, seconds_between: float = SECONDS_BETWEEN_SENDS, max_sends: int = MAX_SENDS):
        self.seconds_between = seconds_between
        self.max_sends = max_sends
        self.sent = 0
        self.last_sent: float | None = None

    def check(self, now: float) -> None:
        """Raise LimitReached if sending at `now` (seconds) would break a limit; record nothing."""
        if self.sent >= self.max_sends:
            raise LimitReached(
                f"You have sent {self.max_sends} drawings, the most one person may send: "
                "thank you, the presenter has them all."
            )
        if self.last_sent is not None and now - self.last_sent < self.seconds_between:
            wait = self.seconds_between - (now - self.last_sent)
            raise LimitReached(f"Please wait {wait:.1f} more seconds before sending another drawing.")

    def record(self, now: float) -> None:
        """Count one drawing sent at `now`."""
        self.sent += 1
        self.last_sent = now


class GuessThrottle:
    """Wrong room codes typed in one session; the wait before the next guess grows with them."""

    def __init__(self, free_guesses: int = FREE_WRONG_GUESSES, max_wait: float = MAX_GUESS_WAIT):
        self.free_guesses = free_guesses
        self.max_wait = max_wait
        self.wrong = 0
        self.last_wrong: float | None = None

    def wait_seconds(self, now: float) -> float:
        """Seconds before the next guess may be tried: 0 until `free_guesses` wrong ones, then 1, 2, 4..."""
        if self.wrong < self.free_guesses or self.last_wrong is None:
            return 0.0
        delay = min(2.0 ** (self.wrong - self.free_guesses), self.max_wait)
        return max(0.0, self.last_wrong + delay - now)

    def record_wrong(self, now: float) -> None:
        """Count a wrong (or closed, or expired) code tried at `now`."""
        self.wrong += 1
        self.last_wrong = now

    def record_right(self) -> None:
        """A code that opened a room: start counting afresh."""
        self.wrong = 0
        self.last_wrong = None

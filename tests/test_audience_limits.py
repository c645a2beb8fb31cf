"""What a participant meets when sending fast, sending a lot, or guessing room codes (time passed in)."""

import pytest

from core.audience.errors import LimitReached
from core.audience.limits import GuessThrottle, SendQuota


def test_one_drawing_every_2_seconds():
    quota = SendQuota()
    quota.check(100.0)
    quota.record(100.0)
    with pytest.raises(LimitReached, match=r"Please wait 0\.5 more seconds before sending another drawing\."):
        quota.check(101.5)
    quota.check(102.0)  # 2 s later: fine


def test_50_drawings_in_all_then_a_thank_you():
    quota = SendQuota()
    for i in range(50):
        quota.check(i * 10.0)
        quota.record(i * 10.0)
    with pytest.raises(LimitReached, match="You have sent 50 drawings, the most one person may send"):
        quota.check(10_000.0)


def test_a_refused_send_counts_nothing():
    quota = SendQuota()
    quota.record(0.0)
    for now in (0.5, 1.0, 1.5):
        with pytest.raises(LimitReached):
            quota.check(now)
    assert quota.sent == 1
    quota.check(2.0)


def test_three_wrong_codes_are_free_then_each_waits_twice_as_long():
    throttle = GuessThrottle()
    waits = []
    now = 0.0
    for _ in range(7):
        waits.append(throttle.wait_seconds(now))
        now += waits[-1]
        throttle.record_wrong(now)
    assert waits == [0, 0, 0, 1, 2, 4, 8]
    assert throttle.wait_seconds(now + 3) == 13  # 16 s after the last wrong guess, 3 of them gone


def test_the_wait_stops_growing_at_a_minute_and_a_right_code_clears_it():
    throttle = GuessThrottle()
    for i in range(20):
        throttle.record_wrong(float(i))
    assert throttle.wait_seconds(19.0) == 60
    throttle.record_right()
    assert throttle.wait_seconds(19.0) == 0

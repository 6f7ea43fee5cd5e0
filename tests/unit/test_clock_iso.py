from datetime import datetime

import pytest

from shared.domain import clock

pytestmark = pytest.mark.unit


def test_iso_keeps_four_digit_years_so_times_read_back_and_sort():
    # GIVEN a time in the year 207 (glibc's %Y wrote "207", which parse_iso refused)
    moment = datetime(207, 8, 9, 9, 0, 27, tzinfo=clock.UTC)
    # WHEN it is written THEN it is fixed width and reads back
    text = clock.iso(moment)
    assert text == "0207-08-09T09:00:27.000000Z"
    assert clock.parse_iso(text) == moment
    assert clock.iso(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=clock.UTC)) == "2026-01-02T03:04:05.000006Z"

"""``trend_svg`` draws byte for byte what it drew before it was split into layout and drawing
(issue 14): the SHA-256 of the markup for a spread of inputs, recorded from the 201-line function."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from app.care_team.trend_chart import trend_svg

START = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)


def _weekly(scores: list[int], start: datetime = START) -> list[tuple[datetime, int]]:
    return [(start + timedelta(weeks=i), s) for i, s in enumerate(scores)]


CASES: dict[str, tuple[list[tuple[datetime, int]], str, int | None]] = {
    "empty PHQ-9": ([], "PHQ-9", None),
    "empty GAD-7": ([], "GAD-7", None),
    "one score": ([(START, 12)], "PHQ-9", None),
    "two scores": (_weekly([20, 4]), "PHQ-9", None),
    "unsorted": ([(START + timedelta(days=30), 6), (START, 20), (START + timedelta(days=10), 15)], "PHQ-9", None),
    "same time": ([(START, 3), (START, 9), (START, 14)], "GAD-7", None),
    "many": (_weekly([27, 25, 22, 20, 18, 15, 14, 12, 10, 9, 7, 6, 5, 4, 3, 2, 1, 0]), "PHQ-9", None),
    "two years": ([(datetime(2024, 12, 1, tzinfo=UTC), 17), (datetime(2025, 1, 6, tzinfo=UTC), 11)], "PHQ-9", None),
    "custom target": (_weekly([21, 14, 8]), "GAD-7", 10),
    "target at top": (_weekly([5, 6]), "PHQ-9", 27),
}

SHA256 = {
    "custom target": "d67ad9eee584cdb968161d91aa9669a63fa582b488dae67cb7e69e8fe60965b3",
    "empty GAD-7": "07829913a8b70d2f346882a5baa70b7fe98fe287f85bf3cf14bf8149e1991b5c",
    "empty PHQ-9": "879ba30c201aa24aa97ac66a23cbfb0d217b64c5ae53b87b3e098aa571689002",
    "many": "46d8fd533c111c871c74f5ff2b416fd923f6057ebb4395a90abed599b1941304",
    "one score": "6ac8f0c8c49dd5df9fb5aa13394aad46883ed62fbfdadb80aa6ae1127181aa63",
    "same time": "3e7cd3056889a85d1c95fae8b852d24424018ef6f08273f365bdad582b0783dd",
    "target at top": "c9970104e0c724a1a46da99291710c640d6ec6abab152577674939cf51d75fa0",
    "two scores": "7a613dcb193e0daf65c8c9e98a6bb82812a764e20fa93d909f1279cbd6fc8b87",
    "two years": "74bf732ba96731e454173941fd9b65d8f188001f96595ceabfffde09d5959653",
    "unsorted": "eac98ed8f072d0c92287b0333975a62ebe03dae46ea549e0393179022175a9e1",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_markup_is_unchanged(name: str) -> None:
    points, instrument, target = CASES[name]
    assert hashlib.sha256(str(trend_svg(points, instrument, target)).encode()).hexdigest() == SHA256[name]

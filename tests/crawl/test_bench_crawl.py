"""How ``patrol bench crawl`` judges whether memory levels off (no crawl needed)."""

from __future__ import annotations

from patrol.bench.crawl import _levels_off, _quarters


def test_renderers_coming_and_going_level_off() -> None:
    # the browser's RSS saw-tooths as pages open and close; its peaks stay put
    samples = [(float(t), 120.0, 300.0 + (t % 5) * 40) for t in range(400)]
    quarters = _quarters(samples)
    assert [q.seconds for q in quarters] == [99.0, 199.0, 299.0, 399.0]
    assert [q.total for q in quarters] == [580.0] * 4
    assert _levels_off(quarters) == (0.0, True)


def test_memory_that_keeps_growing_does_not_level_off() -> None:
    # doubling over the run: the last quarter still adds about 14 %
    samples = [(float(t), 100.0 + t / 4, 100.0 + t / 4) for t in range(400)]
    growth, flat = _levels_off(_quarters(samples))
    assert 13 < growth < 15
    assert not flat


def test_a_run_too_short_to_judge_has_no_quarters() -> None:
    assert _quarters([(0.0, 1.0, 1.0)] * 7) == []
    assert _levels_off([]) == (0.0, True)

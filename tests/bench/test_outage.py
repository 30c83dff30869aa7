"""Splitting an outage run into phases and summarising each one."""

from bench.outage import Sample, percentile, split_phases, summarise


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 99) == 0.0


def test_split_phases_by_request_start():
    samples = [
        Sample(0.5, 1, True),
        Sample(2.0, 2, True),
        Sample(2.5, 3, False),
        Sample(4.0, 1, True),
    ]

    phases = split_phases(samples, boundaries=(2.0, 3.0))

    assert [len(phases[p]) for p in ("before", "during", "after")] == [1, 2, 1]


def test_summarise_counts_errors_and_rate():
    samples = [Sample(0, 10.0, True), Sample(0, 20.0, False), Sample(0, 30.0, True)]

    summary = summarise(samples, seconds=2)

    assert summary["requests"] == 3
    assert summary["errors"] == 1
    assert summary["rps"] == 1.5
    assert summary["p50_ms"] == 20.0
    assert summary["max_ms"] == 30.0

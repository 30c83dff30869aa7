"""Reading wrk's figures: only the line our Lua script prints, every error kind counted."""

import pytest

from bench.throughput import parse_wrk_output, wrk_command

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8000
  1 threads and 8 connections
  Non-2xx or 3xx responses: 5
BENCH_JSON {"requests": 3000, "duration_us": 3000000, "connect_errors": 1, "read_errors": 2, \
"write_errors": 0, "status_errors": 5, "timeouts": 3, "p50_us": 1500, "p90_us": 4000, \
"p99_us": 12500, "max_us": 40000}
"""


def test_parse_wrk_output_reads_rates_latencies_and_errors():
    result = parse_wrk_output(WRK_OUTPUT)

    assert result.requests == 3000
    assert result.rps == 1000.0
    assert result.errors == 11
    assert (result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms) == (1.5, 4.0, 12.5, 40.0)


def test_parse_wrk_output_refuses_output_without_our_line():
    with pytest.raises(ValueError, match="BENCH_JSON"):
        parse_wrk_output("Running 3s test @ http://127.0.0.1:8000\n  Requests/sec: 1000\n")


def test_wrk_command_passes_paths_to_the_script_after_the_separator():
    command = wrk_command(
        base_url="http://127.0.0.1:9", paths=["/", "/a/"], seconds=2, connections=4
    )

    assert command[-3:] == ["--", "/", "/a/"]
    assert command[command.index("--duration") + 1] == "2s"


def test_wrk_command_sends_each_header_before_the_url():
    command = wrk_command(
        base_url="https://127.0.0.1:9",
        paths=["/"],
        seconds=1,
        connections=1,
        headers={"Host": "filamenta.test", "X-Forwarded-Proto": "https"},
    )

    url = command.index("https://127.0.0.1:9")
    sent = [command[i + 1] for i, part in enumerate(command[:url]) if part == "--header"]
    assert sent == ["Host: filamenta.test", "X-Forwarded-Proto: https"]

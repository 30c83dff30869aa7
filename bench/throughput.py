"""Raw throughput of one page with wrk: requests/s, p50 and p99, and every kind of error."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured; latencies in milliseconds."""

    requests: int
    seconds: float
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def parse_wrk_output(output: str) -> LoadResult:
    """Read the line that wrk_report.lua prints; wrk's own prose is never parsed."""
    lines = [line for line in output.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise ValueError(f"wrk printed no {MARKER.strip()} line:\n{output[-2000:]}")
    raw = json.loads(lines[-1][len(MARKER) :])
    seconds = raw["duration_us"] / 1e6
    errors = sum(
        raw[key]
        for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return LoadResult(
        requests=raw["requests"],
        seconds=round(seconds, 3),
        errors=errors,
        rps=round(raw["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def wrk_command(
    *,
    base_url: str,
    paths: list[str],
    seconds: int,
    connections: int,
    timeout_s: int = 5,
    headers: dict[str, str] | None = None,
) -> list[str]:
    # One wrk thread: the machine has two cores and the server needs them more.
    # A Host header of the site's own name where the server is reached by address
    # (the rehearsals' nginx and gunicorn answer filamenta.test on 127.0.0.1).
    sent = [
        part for name, value in (headers or {}).items() for part in ("--header", f"{name}: {value}")
    ]
    return [
        shutil.which("wrk") or "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        f"{timeout_s}s",
        "--script",
        str(WRK_SCRIPT),
        *sent,
        base_url,
        "--",
        *paths,
    ]


def run_wrk(
    *,
    base_url: str,
    paths: list[str],
    seconds: int,
    connections: int,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Load ``paths`` in turn for ``seconds``; wrk stops by itself, and we stop it if it hangs."""
    if not paths:
        raise ValueError("run_wrk needs at least one path")
    command = wrk_command(
        base_url=base_url, paths=paths, seconds=seconds, connections=connections, headers=headers
    )
    completed = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk_output(completed.stdout)

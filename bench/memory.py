"""Resident memory of each gunicorn worker, read after the load has warmed it up."""

from __future__ import annotations

import psutil

MB = 1_000_000  # decimal megabytes: the stricter reading of the 80 MB target


def worker_rss_mb(pids: list[int]) -> list[float]:
    """RSS of each worker in MB. RSS counts pages shared with the master after
    fork, so it overstates what one more worker costs; it is still the figure a
    host's per-process memory limit (cPanel's, for one) is enforced on."""
    return [round(psutil.Process(pid).memory_info().rss / MB, 1) for pid in pids]

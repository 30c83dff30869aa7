"""System checks: a store the operator asked for by name must answer at deploy time.

A running server never stops for a store that is down (it serves from the
fallbacks), so the loud failure belongs to the commands run when deploying:
``manage.py check`` (with or without --deploy) and ``migrate`` run these
checks, and the Docker entrypoint and the systemd unit run ``manage.py
backends --require``, which applies the same rule. With CACHE_BACKEND=auto a
store that is down is not an error: auto means "serve with what answers".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.checks import Error, register

if TYPE_CHECKING:
    from filamenta.backends.probe import ProbeResult


def required_store_failure(result: ProbeResult | None = None) -> str:
    """What is wrong when CACHE_BACKEND names a tier whose stores do not answer, else "".

    ``result`` is a probe already made; without it the process's own start-up
    probe is used (made now if this process has not probed yet).
    """
    from filamenta.backends.probe import probe

    backends = settings.BACKENDS
    if not backends.explicit or not backends.breaker:
        return ""
    result = result or probe(backends)
    if result.ok:
        return ""
    return f"CACHE_BACKEND={backends.tier} but {result.detail}"


@register()
def required_store_answers(**kwargs: Any) -> list[Error]:
    failure = required_store_failure()
    if not failure:
        return []
    return [
        Error(
            failure,
            hint=(
                "Start the store or fix its address before deploying. A server already "
                "running keeps serving from the fallbacks and takes the store back when it "
                "answers; CACHE_BACKEND=auto lets new processes start degraded instead."
            ),
            id="filamenta.E001",
        )
    ]

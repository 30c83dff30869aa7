"""Reaching the real services the tests need, and refusing to skip them in CI."""

from __future__ import annotations

import os

import pytest

from devtools.local_servers import is_listening


def services_required() -> bool:
    """CI (or REQUIRE_SERVICES=1) turns a missing service into a failure."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"} or os.environ.get(
        "REQUIRE_SERVICES", ""
    ) in {"1", "true"}


def require_service(name: str, host: str, port: int) -> None:
    """Skip on a developer's machine without the service; fail in CI."""
    if is_listening(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if services_required():
        pytest.fail(f"{message}, and CI requires it (.ci/ensure-services starts it)")
    pytest.skip(f"{message}; start it to run this test")


# settings.production requires a shared media store; reading the settings never
# reaches it, so tests that only start the site name a bucket nothing serves.
FLEET_MEDIA = {
    "MEDIA_STORAGE_URL": "s3://fleet-key:fleet-secret@fleet-media?endpoint=http://127.0.0.1:9"
}

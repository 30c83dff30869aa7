"""The image's HEALTHCHECK: GET /healthz from this container's gunicorn.

Sent as nginx would send it (an allowed Host, X-Forwarded-Proto: https), so
that neither ALLOWED_HOSTS nor the HTTPS redirect answers in its place.
Exit 0 when /healthz says 200, 1 otherwise: what Docker expects.
"""

import http.client
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from filamenta.environment import env, read_env_file


def main() -> int:
    """One request, four seconds at most (the HEALTHCHECK's timeout is five)."""
    read_env_file()
    bind = env.list("GUNICORN_BIND", default=["127.0.0.1:8000"])[0]
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 - a wildcard bind answers on loopback
        host = "127.0.0.1"
    allowed = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost"])[0].lstrip("*.")
    try:
        connection = http.client.HTTPConnection(host, int(port), timeout=4)
        connection.request(
            "GET", "/healthz", headers={"Host": allowed, "X-Forwarded-Proto": "https"}
        )
        status = connection.getresponse().status
    except (OSError, ValueError) as error:
        print(f"unhealthy: {error}")
        return 1
    print(f"/healthz: {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())

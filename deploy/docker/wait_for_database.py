"""Wait until the database accepts connections; exit 1 after DB_WAIT_TIMEOUT seconds.

Compose starts the database and the site together, and a database that is
still initialising refuses connections for a few seconds: migrating then
would fail and restart the container for nothing.
"""

import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    """Try to connect once a second until the deadline."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from django.core.exceptions import ImproperlyConfigured

    from filamenta.environment import configure, whole_number

    configure()
    try:
        seconds = whole_number("DB_WAIT_TIMEOUT", 60)
    except ImproperlyConfigured as exc:
        print(exc, file=sys.stderr)
        return 2
    import django
    from django.db import DatabaseError, connections

    django.setup()
    connection = connections["default"]
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.ensure_connection()
        except DatabaseError as error:
            if time.monotonic() >= deadline:
                print(f"The database did not answer within {seconds} s: {error}", file=sys.stderr)
                return 1
            connection.close()
            time.sleep(1)
        else:
            print(f"The database answers ({connection.settings_dict['HOST'] or 'local'}).")
            connection.close()
            return 0


if __name__ == "__main__":
    sys.exit(main())

"""Let PyMySQL stand in for mysqlclient where mysqlclient cannot be built.

Shared hosts often lack the MySQL client headers and a compiler, so
``pip install mysqlclient`` fails there; PyMySQL is pure Python and, from
1.1 on, reports a mysqlclient-compatible version that Django accepts.
"""

from __future__ import annotations

import importlib.util


def ensure_mysql_driver() -> str:
    """Return the driver Django's MySQL backend will use, installing PyMySQL if needed."""
    if importlib.util.find_spec("MySQLdb") is not None:
        return "mysqlclient"
    try:
        import pymysql
    except ImportError:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "The database is MySQL/MariaDB but neither mysqlclient nor PyMySQL is "
            "installed: pip install -r requirements/cpanel.txt (PyMySQL) or "
            "requirements/vps.txt (mysqlclient)."
        ) from None
    pymysql.install_as_MySQLdb()
    return "pymysql"

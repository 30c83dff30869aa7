"""gunicorn for Filamenta: ``gunicorn -c deploy/vps/gunicorn.conf.py``.

Used by the systemd unit (VPS), the Docker image and each server of a fleet.
Every value can be changed with an environment variable, so one file serves
all three; the defaults suit gunicorn behind nginx on the same machine.
"""

import multiprocessing
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from filamenta.environment import env, read_env_file, whole_number  # noqa: E402
from filamenta.file_modes import restrict_file_modes  # noqa: E402
from filamenta.proxies import trusted_proxies  # noqa: E402

# gunicorn reads this file before Django starts: .env must be read here too
# for GUNICORN_* values kept there. The master's umask and instance/'s modes
# too: each worker also sets them as it imports filamenta.wsgi.
read_env_file()
restrict_file_modes()


def _count(name: str, default: int) -> int:
    """A positive whole number, or exit with the message: gunicorn would bury a traceback."""
    try:
        return whole_number(name, default, minimum=1)
    except ImproperlyConfigured as exc:
        sys.exit(str(exc))


wsgi_app = "filamenta.wsgi:application"
chdir = str(PROJECT_ROOT)

# Loopback only: nginx is the one client, and X-Forwarded-* are trusted from it alone.
bind = env.list("GUNICORN_BIND", default=["127.0.0.1:8000"])

# Sync workers: a request holds its worker, so the count is the concurrency.
# (2 x cores) + 1 keeps the CPUs busy while some workers wait on the database.
workers = _count("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _count("GUNICORN_THREADS", 1)

# A request slower than this is killed and logged instead of holding a worker
# forever; nginx's proxy_read_timeout (deploy/vps/nginx.conf) is set just above it.
timeout = _count("GUNICORN_TIMEOUT", 30)
graceful_timeout = _count("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _count("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak cannot grow without bound;
# the jitter keeps them from restarting all at once.
max_requests = _count("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _count("GUNICORN_MAX_REQUESTS_JITTER", 100)
# Heartbeat files in RAM: a slow disk must not make the arbiter kill healthy workers.
worker_tmp_dir = env.str("GUNICORN_WORKER_TMP_DIR", default="/dev/shm")  # noqa: S108


# gunicorn believes X-Forwarded-Proto only from these addresses; Django, the
# same proxies' X-Forwarded-For and -Proto (TRUSTED_PROXIES, filamenta/proxies.py).
# One list by default, so the two cannot disagree.
def _trusted_proxies() -> str:
    try:
        return ",".join(trusted_proxies())
    except ImproperlyConfigured as exc:
        sys.exit(str(exc))


forwarded_allow_ips = env.str("FORWARDED_ALLOW_IPS", default="") or _trusted_proxies()

# One access line per request on stdout (journald or docker logs keep it),
# with the client address nginx saw and the time taken in microseconds.
accesslog = env.str("GUNICORN_ACCESS_LOG", default="-")
errorlog = env.str("GUNICORN_ERROR_LOG", default="-")
loglevel = env.str("GUNICORN_LOG_LEVEL", default="info")
access_log_format = (
    '%({x-forwarded-for}i)s %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)sus'
)
proc_name = "filamenta"

#!/bin/sh
# The web container's entry point: wait for the database, migrate, collect
# static files, then become gunicorn (exec: it receives docker stop's SIGTERM).
# Arguments, if any, are run instead of gunicorn (`docker compose run web sh`).
# `make rehearse-docker` runs this script outside a container against real services.
set -eu
# What the site writes on the instance volume is its own (filamenta/file_modes.py).
umask 077
cd "$(dirname "$0")/../.."

python deploy/docker/wait_for_database.py
# With CACHE_BACKEND=redis a Redis that does not answer stops the container here,
# loudly; with auto (the default here) the server starts degraded and recovers.
python manage.py backends --require

# In a fleet only one container should migrate: DJANGO_MIGRATE=false on the others.
case "${DJANGO_MIGRATE:-true}" in
	true) python manage.py migrate --no-input ;;
	false) echo "DJANGO_MIGRATE=false: not migrating" ;;
	*)
		echo "DJANGO_MIGRATE='${DJANGO_MIGRATE}' is not a switch; use true or false." >&2
		exit 2
		;;
esac
python manage.py collectstatic --no-input --verbosity 0

if [ "$#" -gt 0 ]; then
	exec "$@"
fi
exec gunicorn -c deploy/vps/gunicorn.conf.py

"""Set up or update Filamenta on cPanel without a terminal.

In "Setup Python App", put ``deploy/cpanel/setup_site.py`` in the "Execute
python script" field and press Run (or, with SSH: ``python deploy/cpanel/setup_site.py``
inside the app's virtualenv). It applies migrations, collects static files
and runs Django's deployment checks, printing each step, and stops at the
first failure with a non-zero exit status. With DJANGO_SUPERUSER_USERNAME,
_EMAIL and _PASSWORD set, it also creates that administrator once.
"""

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    """Run migrate, collectstatic and check --deploy as the live site would see them."""
    # The panel may start scripts anywhere; everything below is relative to the app root.
    os.chdir(PROJECT_ROOT)
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))

    from filamenta.environment import configure, env, read_env_file

    # Same choice of settings as passenger_wsgi.py: .env first, then cpanel.
    read_env_file()
    os.environ.setdefault("DEPLOYMENT_TARGET", "cpanel")
    print(f"Settings: {configure()}", flush=True)

    import django
    from django.core.management import call_command

    django.setup()
    steps = (
        ("migrate", {"interactive": False}),
        ("collectstatic", {"interactive": False}),
        ("check", {"deploy": True, "fail_level": "WARNING"}),
    )
    for name, options in steps:
        print(f"== {name}", flush=True)
        try:
            call_command(name, **options)
        except Exception as error:  # the panel shows only what we print
            print(f"FAILED at {name}: {type(error).__name__}: {error}", flush=True)
            return 1
    # No terminal for `createsuperuser`: the administrator comes from the same
    # variables its --noinput mode reads, DJANGO_SUPERUSER_USERNAME / _EMAIL /
    # _PASSWORD, and is created through the users' service like every account.
    username = env.str("DJANGO_SUPERUSER_USERNAME", default="").strip()
    if username:
        from django.contrib.auth import get_user_model

        from apps.users.services import user_create

        print("== administrator", flush=True)
        if get_user_model()._default_manager.filter(username=username).exists():
            print(f"{username} exists already: nothing to do.", flush=True)
        else:
            try:
                user_create(
                    username=username,
                    email=env.str("DJANGO_SUPERUSER_EMAIL", default="").strip(),
                    password=env.str("DJANGO_SUPERUSER_PASSWORD", default="") or None,
                    is_staff=True,
                    is_superuser=True,
                )
            except Exception as error:  # the panel shows only what we print
                print(f"FAILED at createsuperuser: {type(error).__name__}: {error}", flush=True)
                return 1
            print("Superuser created successfully.", flush=True)
            print("Now remove DJANGO_SUPERUSER_PASSWORD from the environment.", flush=True)
    print("Done. Restart the app (Setup Python App > Restart) to load new code.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Set up or update Filamenta on cPanel without a terminal.

In "Setup Python App", put ``deploy/cpanel/setup_site.py`` in the "Execute
python script" field and press Run (or, with SSH: ``python deploy/cpanel/setup_site.py``
inside the app's virtualenv). It applies migrations, collects static files
and runs Django's deployment checks, printing each step, and stops at the
first failure with a non-zero exit status. It links ``media`` in the folder
Apache serves the app from (CPANEL_PUBLIC_DIR) to MEDIA_ROOT, so that Apache,
not Passenger, serves uploads, with the headers of ``MEDIA_HTACCESS``. With
DJANGO_SUPERUSER_USERNAME, _EMAIL and _PASSWORD set, it also creates that administrator once.
"""

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Apache reads this from MEDIA_ROOT (through the link) for every upload it serves.
# mod_headers is in cPanel's EasyApache 4 default profile; without it Apache still
# serves the files (the IfModule keeps an .htaccess from becoming a 500).
MEDIA_HTACCESS = """\
# Written by deploy/cpanel/setup_site.py: uploads are files, never pages or scripts.
Options -Indexes
<IfModule mod_headers.c>
    Header always set X-Content-Type-Options "nosniff"
    Header always set Content-Security-Policy "default-src 'none'; sandbox"
    <If "%{HTTPS} == 'on'">
        Header always set Strict-Transport-Security "max-age=31536000; includeSubDomains"
    </If>
    Header set Cache-Control "public, max-age=31536000, immutable"
    <If "%{REQUEST_URI} =~ m#/media/documents/#">
        Header always set Content-Disposition "attachment"
    </If>
</IfModule>
<IfModule mod_php.c>
    php_flag engine off
</IfModule>
RemoveHandler .php .phtml .php3 .php4 .php5 .php7 .php8 .phar .pl .py .cgi
"""


def publish_media() -> None:
    """``media`` in the public folder, a link to MEDIA_ROOT; MEDIA_ROOT reachable by Apache.

    Apache serves as "nobody" on cPanel: MEDIA_ROOT is opened the way
    settings.cpanel's modes say (folders 0711, files 0644; the folders above it
    inside instance/ get execute only), which the media storage keeps for
    every upload. A ``media`` that is a real folder or another link is left
    alone and reported: it is the operator's.
    """
    from django.conf import settings
    from django.core.files.storage import default_storage

    from filamenta.media_storage import FILESYSTEM_BACKEND, open_media_root

    if settings.STORAGES["default"]["BACKEND"] != FILESYSTEM_BACKEND:
        print(f"Media are in {settings.MEDIA_URL}: nothing to link.", flush=True)
        return
    root = Path(settings.MEDIA_ROOT)
    open_media_root(default_storage)
    (root / ".htaccess").write_text(MEDIA_HTACCESS)
    (root / ".htaccess").chmod(0o644)
    public = Path(os.environ.get("CPANEL_PUBLIC_DIR") or PROJECT_ROOT / "public")
    public.mkdir(parents=True, exist_ok=True)
    link = public / "media"
    if link.is_symlink() and Path(os.readlink(link)) == root:
        print(f"{link} -> {root}: in place.", flush=True)
    elif link.exists() or link.is_symlink():
        print(f"{link} exists and is not a link to {root}: left as it is.", flush=True)
    else:
        link.symlink_to(root, target_is_directory=True)
        print(f"{link} -> {root}: Apache serves the uploads.", flush=True)


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
    print("== media", flush=True)
    try:
        publish_media()
    except OSError as error:
        print(f"FAILED at media: {error}", flush=True)
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

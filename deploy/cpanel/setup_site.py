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


# Headers a page answered by Django has and Apache's copy must not take from it:
# they belong to one answer (length, cookies) or Apache sets them itself below.
NOT_COPIED = frozenset(
    {
        "content-type",
        "content-length",
        "content-language",
        "vary",
        "set-cookie",
        "cache-control",
        "expires",
        "last-modified",
        "etag",
        "date",
        "x-page-cache",
        "x-accel-expires",
        "strict-transport-security",
    }
)
PAGES_BEGIN = "# BEGIN Filamenta static pages (deploy/cpanel/setup_site.py)"
PAGES_END = "# END Filamenta static pages"


def page_security_headers() -> dict[str, str]:
    """The headers Django's middleware adds to every page, as this site's settings make them.

    Asked of the site itself (robots.txt over HTTPS, through the whole
    middleware stack), so the copy Apache serves carries exactly the CSP,
    Permissions-Policy and the rest that the page rendered by Django does.
    """
    from django.conf import settings
    from django.test import Client

    host = next(
        (h.lstrip(".") for h in settings.ALLOWED_HOSTS if h not in ("*",) and "*" not in h),
        "localhost",
    )
    answer = Client(raise_request_exception=False).get("/robots.txt", secure=True, HTTP_HOST=host)
    headers = {k: v for k, v in answer.items() if k.lower() not in NOT_COPIED and "nonce-" not in v}
    if answer.has_header("Strict-Transport-Security"):
        headers["Strict-Transport-Security"] = answer["Strict-Transport-Security"]
    return headers


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def static_pages_htaccess(
    *,
    base: str,
    pages: str,
    public: str,
    language_code: str,
    session_cookie: str,
) -> str:
    """The public folder's rules: anonymous GET/HEAD without a query string get the page's file.

    ``base``: the URL path Apache serves ``public`` at (the mount point, "/" at
    the root); ``pages``: STATIC_PAGES_DIR relative to ``public``. Anything the
    rules do not recognise (a session, a flash message, a query string, a
    language the file would not be in, an Accept-Language with weights) goes
    on to Passenger, which answers as always.
    """
    cookies = sorted({"sessionid", "__Host-sessionid", session_cookie, "messages"})
    cookie_names = "|".join(c.replace(".", "\\.") for c in cookies)
    default = next((c for c in ("en", "fr") if language_code.lower().split("-")[0] == c), "")
    # Apache parses this file, and compiles every regex in it, twice per copy it
    # serves (the rewrite is an internal redirect that walks the folders again):
    # tests of emptiness are string comparisons (=""), not regexes, and each
    # cookie is looked for once.
    lines = [
        PAGES_BEGIN,
        "<IfModule mod_rewrite.c>",
        "RewriteEngine On",
        f"RewriteBase {base.rstrip('/')}/",
        "# The copies are reached only through the rules below, never by their own URL.",
        'RewriteCond %{ENV:REDIRECT_STATUS} =""',
        f"RewriteRule ^{pages}(/|$) - [R=404,L]",
        "# Django's: anything but GET or HEAD, a query string, a session or messages cookie.",
        'RewriteCond %{QUERY_STRING} !="" [OR]',
        "RewriteCond %{REQUEST_METHOD} !^(GET|HEAD)$ [OR]",
        f"RewriteCond %{{HTTP_COOKIE}} (^|;)\\s*({cookie_names})=",
        "RewriteRule ^ - [END]",
        "# The reader's language, as Django's LocaleMiddleware would choose it:",
        "# the django_language cookie (only en or fr is served below) ...",
        "RewriteCond %{HTTP_COOKIE} (^|;)\\s*django_language=([^;]*)",
        "RewriteRule ^ - [E=FILAMENTA_LANG:%2,S=2]",
        "# ... else the first Accept-Language tag when it has no weight ...",
        "RewriteCond %{HTTP:Accept-Language} ^\\s*(en|fr)(-[A-Za-z0-9]+)*\\s*(,|$)",
        "RewriteRule ^ - [E=FILAMENTA_LANG:%1,S=1]",
    ]
    if default:
        lines += [
            f"# ... else the site's language ({language_code}), only when no Accept-Language came.",
            'RewriteCond %{HTTP:Accept-Language} =""',
            f"RewriteRule ^ - [E=FILAMENTA_LANG:{default}]",
        ]
    else:
        # A rule that does nothing: the skips (S=) above count it.
        lines += ["RewriteRule ^ -"]
    lines += [
        "# The page's copy in that language, when there is one.",
        "RewriteCond %{ENV:FILAMENTA_LANG} ^(en|fr)$",
        f'RewriteCond "{public}/{pages}/%{{ENV:FILAMENTA_LANG}}/$1index.html" -f',
        f"RewriteRule ^((?:[^/]+/)*)$ {pages}/%{{ENV:FILAMENTA_LANG}}/$1index.html [END]",
        "</IfModule>",
        PAGES_END,
    ]
    return "\n".join(lines) + "\n"


def pages_folder_htaccess(headers: dict[str, str]) -> str:
    """In STATIC_PAGES_DIR itself: what every copy is sent with (purges keep this file)."""
    lines = [
        "# Written by deploy/cpanel/setup_site.py: pages Django rendered, served by Apache.",
        "Options -Indexes",
        "AddType text/html .html",
        "AddCharset utf-8 .html",
        "# A page is a few kB: read() it. Mapping and unmapping it for each reader costs",
        "# a threaded Apache (event MPM) more than the copy (munmap stops every CPU).",
        "EnableMMAP off",
        "<IfModule mod_headers.c>",
        "    Header set X-Static-Page 1",
        '    Header set Cache-Control "max-age=0"',
        '    Header set Vary "Accept-Language, Cookie"',
        "    # The language the public folder's rules chose (their FILAMENTA_LANG, renamed",
        "    # by the internal redirect): a value, not an <If>, which Apache would parse",
        "    # and compile for every copy it serves.",
        '    Header set Content-Language "%{REDIRECT_FILAMENTA_LANG}e"',
    ]
    for name, value in headers.items():
        if name.lower() == "strict-transport-security":
            # mod_ssl sets HTTPS=on for every request over TLS.
            lines.append(f"    Header always set {name} {_quoted(value)} env=HTTPS")
        else:
            lines.append(f"    Header always set {name} {_quoted(value)}")
    lines += [
        "</IfModule>",
        "<IfModule mod_php.c>",
        "    php_flag engine off",
        "</IfModule>",
        "RemoveHandler .php .phtml .php3 .php4 .php5 .php7 .php8 .phar .pl .py .cgi",
    ]
    return "\n".join(lines) + "\n"


def _with_block(existing: str, block: str) -> str:
    """``existing`` with our block replaced (or added first), the operator's lines kept."""
    if PAGES_BEGIN in existing and PAGES_END in existing:
        before, rest = existing.split(PAGES_BEGIN, 1)
        after = rest.split(PAGES_END, 1)[1].lstrip("\n")
        return before + block + after
    return block + existing


def publish_static_pages() -> None:
    """The rules that let Apache answer anonymous readers from STATIC_PAGES_DIR."""
    from django.conf import settings

    from filamenta.environment import BASE_DIR, env
    from filamenta.static_pages import FOLDER_MODE, public_dir, static_pages_purge

    folder = settings.STATIC_PAGES_DIR
    public = public_dir(env, BASE_DIR).resolve()
    htaccess = public / ".htaccess"
    existing = htaccess.read_text() if htaccess.exists() else ""
    if not folder:
        if PAGES_BEGIN in existing:
            htaccess.write_text(_with_block(existing, "").lstrip("\n"))
        print("STATIC_PAGES_DIR is empty: Passenger answers every page.", flush=True)
        return
    pages = Path(folder).resolve()
    if public not in pages.parents:
        print(f"STATIC_PAGES_DIR {pages} is not inside {public}: no rules written.", flush=True)
        return
    public.mkdir(parents=True, exist_ok=True)
    pages.mkdir(parents=True, exist_ok=True)
    for path in [pages, *[p for p in pages.parents if public in p.parents]]:
        path.chmod(FOLDER_MODE)
    # Pages of an older release may not match the new templates.
    static_pages_purge()
    (pages / ".htaccess").write_text(pages_folder_htaccess(page_security_headers()))
    (pages / ".htaccess").chmod(0o644)
    base = "/" + (env.str("APPLICATION_ROOT", default="") or "/").strip("/")
    block = static_pages_htaccess(
        base=base,
        pages=pages.relative_to(public).as_posix(),
        public=str(public),
        language_code=settings.LANGUAGE_CODE,
        session_cookie=settings.SESSION_COOKIE_NAME,
    )
    htaccess.write_text(_with_block(existing, block))
    htaccess.chmod(0o644)
    print(f"{htaccess}: Apache answers anonymous readers from {pages}.", flush=True)


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
    print("== static pages", flush=True)
    try:
        publish_static_pages()
    except OSError as error:
        print(f"FAILED at static pages: {error}", flush=True)
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

"""Top-level URLs: Django's admin; each app adds its own below."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from apps.media.chooser import media_chooser
from apps.media.views import media_urlpatterns
from apps.siteadmin.backups import backup_download
from apps.siteadmin.views import operations
from apps.users.views import admin_login
from filamenta.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Before admin.site.urls: the admin's sign-in under the site's rate limits,
    # and the operations page inside the admin's chrome and permissions.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/operations/", admin.site.admin_view(operations), name="admin_operations"),
    path("admin/operations/backup/", admin.site.admin_view(backup_download), name="admin_backup"),
    # The article editor's image and document chooser (apps/media/chooser.py).
    path("admin/media/chooser/", admin.site.admin_view(media_chooser), name="admin_media_chooser"),
    path("admin/", admin.site.urls),
    path("accounts/", include("apps.users.urls")),
    # The footer's language switcher posts here (sets the django_language cookie).
    # Without a CSRF token: one in the footer would set the CSRF cookie on every
    # page and make none of them cacheable; the worst a forged post does is
    # change a reader's language, which they change back in one click.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # Uploads, with DEBUG only: deployed, the web server or the object store serves them.
    *media_urlpatterns(),
    path("", include("apps.content.urls")),
]

# A database outage anywhere in a request is a 503 with Retry-After, not a 500.
handler500 = "filamenta.database_faults.server_error"

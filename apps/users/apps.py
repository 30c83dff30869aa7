from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    # The one "apps.users" means: this module also holds the admin's config below.
    default = True
    name = "apps.users"
    label = "users"
    verbose_name = _("Users")

    def ready(self) -> None:
        from filamenta.caching import versions_ignore_fields

        # Saved at every sign-in (django.contrib.auth.update_last_login) and shown
        # on no cached page: a sign-in must not empty the page caches.
        versions_ignore_fields("users.User", "last_login")


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin app with our site class, so ``admin.site`` checks the second factor."""

    default = False
    default_site = "apps.users.admin_site.AdminSite"

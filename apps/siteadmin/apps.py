from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteAdminConfig(AppConfig):
    """Audit history, site settings and the operations page.

    Django's own admin owns the label ``admin``, so this app is ``siteadmin``,
    folder and label alike.
    """

    name = "apps.siteadmin"
    label = "siteadmin"
    verbose_name = _("Site administration")

    def ready(self) -> None:
        from . import selectors, signals  # noqa: F401 - sign-in and cache receivers

from django.apps import AppConfig


class SiteAdminConfig(AppConfig):
    """Audit history, site settings and the operations page.

    Django's own admin owns the label ``admin``, so this app is ``siteadmin``.
    """

    name = "apps.admin"
    label = "siteadmin"
    verbose_name = "Site administration"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the sign-in receivers

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "apps.content"
    label = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        # The public reads and pages declare what they depend on with @cached
        # and @cached_page, which connect the invalidation receivers. Importing
        # them here connects those receivers in every process, so a save from
        # a management command, a shell or a cron job refreshes the pages too,
        # not only a save in a web process that has already imported the views.
        from . import selectors, views  # noqa: F401

        post_migrate.connect(_search_index_repair, sender=self)


def _search_index_repair(using: str = "default", **kwargs: object) -> None:
    from .search import search_index_repair

    search_index_repair(using=using)

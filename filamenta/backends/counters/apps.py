from django.apps import AppConfig


class CountersConfig(AppConfig):
    """The database counters, and the one installed app of the cache backends."""

    name = "filamenta.backends.counters"
    label = "counters"
    verbose_name = "Shared counters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from filamenta.backends import checks  # noqa: F401 - registers the backends' system check

from django.apps import AppConfig


class CountersConfig(AppConfig):
    name = "filamenta.counters"
    label = "counters"
    verbose_name = "Shared counters"
    default_auto_field = "django.db.models.BigAutoField"

from django.db import models


class Counter(models.Model):
    """One integer under a cache key; ``expires`` is a Unix time, NULL for never."""

    key = models.CharField(max_length=255, primary_key=True)
    value = models.BigIntegerField()
    expires = models.FloatField(null=True, db_index=True)

    class Meta:
        db_table = "filamenta_counter"

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

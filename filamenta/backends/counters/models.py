from django.db import models


class Counter(models.Model):
    """One integer under a cache key; ``expires`` is a Unix time, NULL for never."""

    digest = models.CharField(max_length=64, primary_key=True)  # cache.key_digest(key)
    # The cache key as given, so the table can be read by a person; never compared.
    key = models.TextField()
    value = models.BigIntegerField()
    expires = models.FloatField(null=True, db_index=True)

    class Meta:
        db_table = "filamenta_counter"

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

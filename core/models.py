from django.db import models


class DataVersion(models.Model):
    """One row (id 1): a number that moves on with every committed change to what members see.

    Written only by database triggers (see core/freshness.py), read once per cached request.
    """

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "data version"

    def __str__(self):
        return str(self.version)

from django.db import models


class PluginState(models.Model):
    """One row per plugin this shop has ever switched on."""

    key = models.CharField(max_length=40, unique=True)
    enabled = models.BooleanField(default=False)
    enabled_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    settings = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.key} ({'on' if self.enabled else 'off'})"

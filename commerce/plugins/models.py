from django.db import models

from commerce.cache import forget, key


class PluginState(models.Model):
    """One row per plugin this shop has ever switched on."""

    key = models.CharField(max_length=40, unique=True)
    enabled = models.BooleanField(default=False)
    enabled_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    settings = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.key} ({'on' if self.enabled else 'off'})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget(plugin_state_key(self.key))

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        forget(plugin_state_key(self.key))
        return deleted


def plugin_state_key(plugin: str) -> str:
    return key("plugin-enabled", plugin)

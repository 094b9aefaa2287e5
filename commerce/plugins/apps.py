from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "commerce.plugins"
    label = "plugins"

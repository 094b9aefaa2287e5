from django.apps import AppConfig


class GroupbuyConfig(AppConfig):
    name = "commerce.groupbuy"
    label = "groupbuy"

from django.apps import AppConfig


class ShoppersConfig(AppConfig):
    name = "commerce.shoppers"
    label = "shoppers"

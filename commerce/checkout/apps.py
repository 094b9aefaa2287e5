from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "commerce.checkout"
    label = "checkout"

from django.apps import AppConfig


class DevelopersConfig(AppConfig):
    name = "commerce.developers"
    label = "developers"

    def ready(self) -> None:
        # The outbox carries outbound webhooks; it knows no commerce code, so the sender
        # is registered from here (as commerce.payments does for owed refunds).
        import commerce.developers.schema  # noqa: F401 (registers the schema extension)
        from commerce.developers.delivery import send_webhook
        from outbox.models import Channel
        from outbox.senders import register_sender

        register_sender(Channel.WEBHOOK)(send_webhook)

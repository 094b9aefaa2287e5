from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "commerce.payments"
    label = "payments"

    def ready(self) -> None:
        # The outbox carries owed card refunds; it knows no commerce code, so the sender is
        # registered from here.
        from commerce.payments.services import send_stripe_refund
        from outbox.models import Channel
        from outbox.senders import register_sender

        register_sender(Channel.STRIPE_REFUND)(send_stripe_refund)

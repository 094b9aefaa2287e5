"""Which shops have timed work due, and from when: the public index of tenant deadlines.

The deadlines themselves are rows in each shop's schema (a checkout's `reserved_until`);
the broker only carries the wake-up. A platform sweep must find the shops whose deadlines
have come without visiting every schema, so each shop keeps one row per kind of deadline
here with the earliest time any of its deadlines of that kind falls due (NULL: none).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DueShop(models.Model):
    # A name the owning app chooses ("checkout_settlement"), not a foreign key: this app
    # sits below tenants and commerce in the layers.
    kind = models.CharField(_("kind"), max_length=40)
    merchant_id = models.BigIntegerField(_("merchant id"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shop with deadlines")
        verbose_name_plural = _("shops with deadlines")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "merchant_id"], name="dueshop_kind_merchant_uniq"
            )
        ]
        indexes = [
            # The sweep's question: which shops of a kind are due now, earliest first.
            models.Index(
                fields=["kind", "due_at"],
                condition=Q(due_at__isnull=False),
                name="dueshop_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of merchant {self.merchant_id} due {self.due_at}"

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from tenants.models import Membership, Merchant


def is_member(*, user: User, merchant: Merchant) -> bool:
    if not user.is_authenticated or merchant.is_public:
        return False
    return Membership.objects.filter(user=user, merchant_id=merchant.pk).exists()


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("merchant").order_by("merchant__name")
    )


def search_merchants(*, query: str = "", status: str = "") -> QuerySet[Merchant]:
    merchants = Merchant.objects.exclude(schema_name="public").annotate(
        member_count=Count("memberships")
    )
    if query:
        merchants = merchants.filter(
            Q(name__icontains=query)
            | Q(slug__icontains=query)
            | Q(domains__domain__icontains=query)
            | Q(memberships__user__email__icontains=query)
        ).distinct()
    if status:
        merchants = merchants.filter(status=status)
    return merchants.order_by("-created_at")

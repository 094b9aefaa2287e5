"""Factories: merchants are opened through the real service, so every test shop has its own
schema cloned from the template (inside the test's transaction, rolled back after)."""

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import PlatformRole, User
from commerce.store.models import Outlet
from onboarding.signup import open_merchant
from tenants.services import OpenedShop

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password = factory.LazyFunction(lambda: make_password(TEST_PASSWORD))


class PlatformStaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@platform.test")
    platform_roles = factory.LazyFunction(lambda: [PlatformRole.CSM])


class ShopFactory(factory.Factory):
    """Opens a shop as signup does (`open_merchant`: the shop, its trial and its journey);
    returns an OpenedShop (merchant, owner, domain)."""

    class Meta:
        model = OpenedShop

    shop_name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    owner_email = factory.LazyAttribute(lambda shop: f"owner@{shop.slug}.test")
    owner_password_hash = factory.LazyFunction(lambda: make_password(TEST_PASSWORD))
    timezone_name = "Asia/Shanghai"
    currency = "CNY"

    @classmethod
    def _create(cls, model_class, **kwargs) -> OpenedShop:
        return open_merchant(**kwargs)

    _build = _create


class OutletFactory(factory.django.DjangoModelFactory):
    """Create inside a tenant context (`with merchant:`)."""

    class Meta:
        model = Outlet

    name = factory.Sequence(lambda n: f"Outlet {n}")
    address = factory.Sequence(lambda n: f"{n} Nanjing Road")

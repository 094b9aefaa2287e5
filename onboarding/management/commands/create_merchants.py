"""Open many shops at once, for demos and benchmarks, as signup opens them (trial, journey)."""

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from tqdm import tqdm

from onboarding.signup import open_merchant
from tenants.models import Merchant


class Command(BaseCommand):
    help = "Create N merchants (schema, domain, owner, membership) named <prefix>-<n>."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--prefix", default="shop")
        parser.add_argument("--password", default="demo-pass-2026")

    def handle(self, *args, count: int, prefix: str, password: str, **options):
        # One hash for every owner: hashing is deliberately slow and not what is bulk-created.
        password_hash = make_password(password)
        existing = set(
            Merchant.objects.filter(slug__startswith=f"{prefix}-").values_list("slug", flat=True)
        )
        created = 0
        for number in tqdm(range(1, count + 1), desc="Creating merchants", unit="shop"):
            slug = f"{prefix}-{number}"
            if slug in existing:
                continue
            open_merchant(
                shop_name=f"{prefix.title()} {number}",
                slug=slug,
                owner_email=f"owner@{slug}.test",
                owner_password_hash=password_hash,
            )
            created += 1
        self.stdout.write(f"Created {created} merchants ({count - created} existed already).")

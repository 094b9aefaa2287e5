"""The deploy migration: public schema, template, then only the tenant schemas that are behind.

Stock `migrate_schemas` re-inspects every schema (about a quarter second each); this asks
PostgreSQL once per 500 schemas which ones lack the latest migrations and migrates only
those, so a no-op deploy stays quick at thousands of merchants.
"""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from tqdm import tqdm

from tenants import schemas


class Command(BaseCommand):
    help = "Migrate the public schema, the tenant template and every stale tenant schema."

    def add_arguments(self, parser):
        parser.add_argument("--skip-public", action="store_true", help="Leave `public` alone.")

    def handle(self, *args, skip_public: bool = False, verbosity: int = 1, **options):
        started = time.perf_counter()
        if not skip_public:
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        template_changed = schemas.ensure_template_schema()
        names = schemas.all_tenant_schema_names()[1:]  # the template is handled above
        stale = schemas.stale_schemas(names)
        recorded = len(stale)
        stale = schemas.record_public_only_migrations(stale)
        recorded -= len(stale)
        for name in tqdm(
            stale, desc="Migrating tenant schemas", disable=not stale or verbosity < 1
        ):
            schemas.migrate_schema(name)
        connection.set_schema_to_public()
        elapsed = time.perf_counter() - started
        if verbosity >= 1:
            self.stdout.write(
                f"Migrations {schemas.schema_state_digest()}: template "
                f"{'migrated' if template_changed else 'up to date'}, "
                f"{len(stale)} of {len(names)} tenant schemas migrated"
                f"{f' ({recorded} only recorded public-app migrations)' if recorded else ''}"
                f" in {elapsed:.2f}s."
            )

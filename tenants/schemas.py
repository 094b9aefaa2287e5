"""Tenant schemas: the pre-migrated template, fast cloning, the pool, and staleness checks.

A new merchant's schema is never migrated from zero on a request. The template schema is
migrated once per deploy; a new schema is a catalog-driven copy of it (tables, identity
columns, constraints and indexes under their original names, and the template's rows,
i.e. `django_migrations`), made ahead of time into a pool that signup claims from.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_exists

from tenants.models import Merchant, PooledSchema

SCHEMA_PLACEHOLDER = "__target_schema__"
_clone_plan_cache: dict[str, ClonePlan] = {}


def template_schema_name() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


def new_schema_name() -> str:
    return f"m_{secrets.token_hex(8)}"


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass(frozen=True)
class ClonePlan:
    """The SQL that recreates the template schema under another name."""

    fingerprint: str
    sql: str

    def for_schema(self, schema_name: str) -> str:
        return self.sql.replace(SCHEMA_PLACEHOLDER, schema_name)


def migrate_schema(schema_name: str, *, verbosity: int = 0) -> None:
    """Run Django's migrations on one tenant schema (creating it when missing)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema_name)}")
    call_command(
        "migrate_schemas",
        schema_name=schema_name,
        tenant=True,
        interactive=False,
        verbosity=verbosity,
    )
    connection.set_schema_to_public()
    _clone_plan_cache.clear()


def ensure_template_schema(*, verbosity: int = 0) -> bool:
    """Create and migrate the template schema if it is missing or behind. True if it changed."""
    name = template_schema_name()
    if schema_exists(name) and not stale_schemas([name]):
        return False
    migrate_schema(name, verbosity=verbosity)
    return True


def _template_fingerprint(cursor) -> str:
    template = quote(template_schema_name())
    cursor.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {template}.django_migrations")
    count, max_id = cursor.fetchone()
    return f"{count}:{max_id}"


def build_clone_plan() -> ClonePlan:
    """Read the template's catalog once and turn it into SQL (cached per migration state)."""
    template = template_schema_name()
    with connection.cursor() as cursor:
        fingerprint = _template_fingerprint(cursor)
        cached = _clone_plan_cache.get(fingerprint)
        if cached is not None:
            return cached
        # With the template alone on the search path, catalog functions print names of the
        # template's own objects unqualified (they then resolve in the target schema) and
        # anything in public qualified.
        cursor.execute("SELECT current_setting('search_path')")
        (previous_search_path,) = cursor.fetchone()
        cursor.execute(f"SET search_path TO {quote(template)}")
        try:
            statements = _clone_statements(cursor, template)
        finally:
            cursor.execute(f"SET search_path TO {previous_search_path}")
    plan = ClonePlan(fingerprint=fingerprint, sql=";\n".join(statements))
    _clone_plan_cache[fingerprint] = plan
    return plan


def _clone_statements(cursor, template: str) -> list[str]:
    target = f'"{SCHEMA_PLACEHOLDER}"'
    source = quote(template)
    statements = [f"CREATE SCHEMA {target}", f"SET LOCAL search_path TO {target}, public"]

    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname
        """,
        [template],
    )
    tables = [row[0] for row in cursor.fetchall()]
    for table in tables:
        statements.append(
            f"CREATE TABLE {target}.{quote(table)} (LIKE {source}.{quote(table)} "
            "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE)"
        )

    # Constraints under their original names: keys and checks first, foreign keys last.
    cursor.execute(
        """
        SELECT c.relname, con.conname, pg_get_constraintdef(con.oid), con.contype
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND con.contype IN ('p', 'u', 'c', 'x', 'f')
        ORDER BY (con.contype = 'f'), c.relname, con.conname
        """,
        [template],
    )
    constraint_indexes = set()
    for table, name, definition, _kind in cursor.fetchall():
        statements.append(
            f"ALTER TABLE {target}.{quote(table)} ADD CONSTRAINT {quote(name)} "
            f"{_retarget(definition, template, target)}"
        )
        constraint_indexes.add(name)

    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(ix.indexrelid)
        FROM pg_index ix
        JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = %s
        ORDER BY i.relname
        """,
        [template],
    )
    for name, definition in cursor.fetchall():
        if name not in constraint_indexes:
            statements.append(_retarget(definition, template, target))

    # Rows the template holds (django_migrations, at least) come along, identity included.
    for table in tables:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {source}.{quote(table)})")
        if not cursor.fetchone()[0]:
            continue
        statements.append(
            f"INSERT INTO {target}.{quote(table)} OVERRIDING SYSTEM VALUE "
            f"SELECT * FROM {source}.{quote(table)}"
        )
        cursor.execute(
            """
            SELECT a.attname FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relname = %s AND a.attidentity <> ''
            """,
            [template, table],
        )
        for (column,) in cursor.fetchall():
            statements.append(
                f"SELECT setval(pg_get_serial_sequence('{target}.{quote(table)}', '{column}'), "
                f"(SELECT coalesce(max({quote(column)}), 0) + 1 FROM {target}.{quote(table)}), "
                "false)"
            )
    return statements


def _retarget(definition: str, template: str, target: str) -> str:
    """Point a catalog definition that names the template schema at the target instead."""
    return re.sub(rf'(?<![\w"])(?:"{template}"|{template})\.', f"{target}.", definition)


def clone_template_schema(schema_name: str) -> None:
    """Create `schema_name` as a copy of the template, in the caller's transaction."""
    if not schema_name.isidentifier() or len(schema_name) > 63:
        raise ValueError(f"Unsafe schema name: {schema_name!r}")
    plan = build_clone_plan()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(plan.for_schema(schema_name))
        # SET LOCAL lasts until the transaction ends; put the connection back now.
        cursor.execute("SET LOCAL search_path TO public")
    connection.set_schema_to_public()


def add_pooled_schema() -> str:
    name = new_schema_name()
    with transaction.atomic():
        clone_template_schema(name)
        PooledSchema.objects.create(schema_name=name)
    return name


def refill_schema_pool(target_size: int | None = None) -> int:
    """Top the pool up to `target_size` ready schemas. Returns how many were added."""
    target = settings.TENANT_SCHEMA_POOL_SIZE if target_size is None else target_size
    missing = max(0, target - PooledSchema.objects.count())
    for _ in range(missing):
        add_pooled_schema()
    return missing


def claim_pooled_schema() -> str | None:
    """Take one ready schema out of the pool (None when empty), in the caller's transaction.

    SKIP LOCKED lets concurrent signups each take a different schema without waiting.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM tenants_pooledschema WHERE id = (
                SELECT id FROM tenants_pooledschema ORDER BY id
                FOR UPDATE SKIP LOCKED LIMIT 1
            ) RETURNING schema_name
            """
        )
        row = cursor.fetchone()
    return row[0] if row else None


def obtain_schema() -> str:
    """A ready, migrated schema for a new merchant: from the pool, else cloned right now."""
    claimed = claim_pooled_schema()
    if claimed is not None:
        return claimed
    name = new_schema_name()
    clone_template_schema(name)
    return name


def expected_leaf_migrations() -> set[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return set(loader.graph.leaf_nodes())


def _with_migrations_table(cursor, names: list[str]) -> set[str]:
    """Which of these schemas have a django_migrations table at all."""
    cursor.execute(
        """
        SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = 'django_migrations' AND n.nspname = ANY(%s)
        """,
        [names],
    )
    return {row[0] for row in cursor.fetchall()}


def stale_schemas(schema_names: Iterable[str], *, chunk_size: int = 500) -> list[str]:
    """Schemas whose `django_migrations` lacks any of the latest migrations.

    One query per `chunk_size` schemas, instead of re-inspecting every schema as
    `migrate_schemas` does.
    """
    names = list(schema_names)
    leaves = sorted(expected_leaf_migrations())
    if not names or not leaves:
        return []
    leaf_values = ", ".join("(%s, %s)" for _ in leaves)
    leaf_params = [part for leaf in leaves for part in leaf]
    with connection.cursor() as cursor:
        with_table = _with_migrations_table(cursor, names)
        up_to_date: set[str] = set()
        checkable = [name for name in names if name in with_table]
        for start in range(0, len(checkable), chunk_size):
            chunk = checkable[start : start + chunk_size]
            selects = [
                f"SELECT %s AS schema_name, count(*) AS applied FROM {quote(name)}.django_migrations "
                f"WHERE (app, name) IN ({leaf_values})"
                for name in chunk
            ]
            params: list[str] = []
            for name in chunk:
                params.append(name)
                params.extend(leaf_params)
            cursor.execute(" UNION ALL ".join(selects), params)
            up_to_date.update(name for name, applied in cursor.fetchall() if applied == len(leaves))
    return [name for name in names if name not in up_to_date]


def tenant_app_labels() -> set[str]:
    names = set(settings.TENANT_APPS)
    return {config.label for config in apps.get_app_configs() if config.name in names}


def record_public_only_migrations(schema_names: Iterable[str]) -> list[str]:
    """Bring schemas that lag only on migrations of public-only apps up to date by recording
    those migrations, as the template has them; returns the schemas that still need a real
    migrate.

    django-tenants runs nothing of a public-only app's migrations in a tenant schema, it only
    records them; doing that with one statement per schema turns a deploy that adds billing
    columns from ~1 s per shop into milliseconds.
    """
    template = quote(template_schema_name())
    tenant_labels = tenant_app_labels()
    names = list(schema_names)
    needs_migrate = []
    with connection.cursor() as cursor:
        with_table = _with_migrations_table(cursor, names)
        for name in names:
            if name not in with_table:
                needs_migrate.append(name)
                continue
            target = quote(name)
            missing = f"""
                FROM {template}.django_migrations t WHERE NOT EXISTS (
                    SELECT 1 FROM {target}.django_migrations s
                    WHERE s.app = t.app AND s.name = t.name)
            """
            cursor.execute(f"SELECT DISTINCT t.app {missing}")
            if {row[0] for row in cursor.fetchall()} & tenant_labels:
                needs_migrate.append(name)
                continue
            cursor.execute(
                f"INSERT INTO {target}.django_migrations (app, name, applied) "
                f"SELECT t.app, t.name, now() {missing}"
            )
    return needs_migrate


def all_tenant_schema_names() -> list[str]:
    """Every schema that must carry the tenant apps: the template, merchants, the pool."""
    merchants = Merchant.objects.exclude(schema_name="public").values_list("schema_name", flat=True)
    pooled = PooledSchema.objects.values_list("schema_name", flat=True)
    return [template_schema_name(), *merchants, *pooled]


def schema_state_digest() -> str:
    """A short digest of the migrations the code expects (shown by `migrate_fast`)."""
    leaves = sorted(expected_leaf_migrations())
    return hashlib.sha256(repr(leaves).encode()).hexdigest()[:12]

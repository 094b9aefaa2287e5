import pytest
from django.core.management import call_command
from django.db import connection

from tenants import schemas
from tests.factories import ShopFactory

pytestmark = pytest.mark.django_db

CATALOG_QUERIES = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, column_default IS NOT NULL,
               is_identity
        FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2
    """,
    "constraints": """
        SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s ORDER BY 1, 2
    """,
    "indexes": """
        SELECT tablename, indexname, regexp_replace(indexdef, ' ON [^ ]+\\.', ' ON ')
        FROM pg_indexes WHERE schemaname = %s ORDER BY 1, 2
    """,
    "migrations": "SELECT app, name FROM {schema}.django_migrations ORDER BY app, name",
}


def catalog(schema_name: str) -> dict[str, list[tuple]]:
    described = {}
    with connection.cursor() as cursor:
        cursor.execute("SET search_path TO public")
        for name, query in CATALOG_QUERIES.items():
            if "{schema}" in query:
                cursor.execute(query.format(schema=connection.ops.quote_name(schema_name)))
            else:
                cursor.execute(query, [schema_name])
            # Definitions name their own schema; compare them without it.
            described[name] = [
                tuple(str(v).replace(f"{schema_name}.", "") for v in row)
                for row in cursor.fetchall()
            ]
    return described


def test_a_cloned_schema_matches_the_template_object_for_object():
    schemas.clone_template_schema("m_clone_check")

    template = catalog(schemas.template_schema_name())
    clone = catalog("m_clone_check")

    assert clone == template
    assert len(template["migrations"]) > 0
    assert ("store", "0001_initial") in template["migrations"]
    assert any("REFERENCES catalog_product(id)" in row[2] for row in template["constraints"])


def test_a_cloned_schema_hands_out_fresh_ids_and_keeps_constraints():
    opened = ShopFactory(slug="ids")
    from commerce.store.models import Outlet, StoreSettings

    with opened.merchant:
        first = Outlet.objects.create(name="One", address="1 Road")
        second = Outlet.objects.create(name="Two", address="2 Road")
        assert (first.pk, second.pk) == (1, 2)
        with pytest.raises(Exception, match="store_settings_singleton"):
            StoreSettings.objects.create(pk=2, display_name="Not allowed")


def test_only_schemas_behind_the_latest_migration_are_stale():
    current = ShopFactory(slug="current").merchant
    behind = ShopFactory(slug="behind").merchant
    app, name = sorted(schemas.expected_leaf_migrations())[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {behind.schema_name}.django_migrations WHERE app = %s AND name = %s",
            [app, name],
        )

    assert schemas.stale_schemas([current.schema_name, behind.schema_name]) == [behind.schema_name]
    assert schemas.stale_schemas(["m_does_not_exist"]) == ["m_does_not_exist"]


def test_migrate_fast_migrates_nothing_when_every_schema_is_current(capsys):
    ShopFactory(slug="one")
    ShopFactory(slug="two")

    call_command("migrate_fast", skip_public=True)

    assert "template up to date, 0 of 2 tenant schemas migrated" in capsys.readouterr().out


def test_the_pool_refills_to_its_target_and_hands_out_each_schema_once():
    from tenants.models import PooledSchema

    assert schemas.refill_schema_pool(3) == 3
    assert schemas.refill_schema_pool(3) == 0

    claimed = {schemas.claim_pooled_schema() for _ in range(3)}

    assert len(claimed) == 3
    assert schemas.claim_pooled_schema() is None
    assert not PooledSchema.objects.exists()


def test_a_deploy_of_public_only_migrations_records_them_in_each_shop_without_migrating(capsys):
    one = ShopFactory(slug="one").merchant
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {one.schema_name}.django_migrations WHERE app IN ('billing', 'reports')"
        )
    assert schemas.stale_schemas([one.schema_name]) == [one.schema_name]

    call_command("migrate_fast", skip_public=True)

    out = capsys.readouterr().out
    assert "0 of 1 tenant schemas migrated (1 only recorded public-app migrations)" in out
    assert schemas.stale_schemas([one.schema_name]) == []

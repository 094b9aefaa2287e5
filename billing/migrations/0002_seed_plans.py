from django.db import migrations

from billing.seed import seed_catalog


def seed(apps, schema_editor):
    seed_catalog(
        apps.get_model("billing", "Plan"),
        apps.get_model("billing", "CommissionTier"),
        apps.get_model("billing", "PluginPrice"),
        apps.get_model("billing", "InvoiceSequence"),
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

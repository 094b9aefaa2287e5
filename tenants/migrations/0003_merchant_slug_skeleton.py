from django.db import migrations, models


def backfill_skeletons(apps, schema_editor):
    """Give every shop its address's skeleton. Shops opened before look-alikes were refused
    may already share one: the oldest keeps it, later ones get `<skeleton>~<id>` (never a
    real skeleton, which is [a-z0-9] only), so the unique constraint can be added and none
    of them blocks the other."""
    from tenants.slugs import slug_skeleton

    Merchant = apps.get_model("tenants", "Merchant")
    seen: set[str] = set()
    for merchant in Merchant.objects.order_by("pk").only("pk", "slug"):
        skeleton = slug_skeleton(merchant.slug)
        if skeleton in seen:
            skeleton = f"{skeleton[:36]}~{merchant.pk}"
        seen.add(skeleton)
        Merchant.objects.filter(pk=merchant.pk).update(slug_skeleton=skeleton)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_merchant_stripe_account_id_and_more")]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="slug_skeleton",
            field=models.CharField(max_length=48, editable=False, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(backfill_skeletons, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="merchant",
            constraint=models.UniqueConstraint(
                fields=["slug_skeleton"], name="merchant_slug_skeleton_unique"
            ),
        ),
    ]

import django.core.validators
from django.db import migrations, models

# The single outlet online orders took stock from becomes the first (and only) outlet that
# fulfils them; the merchant can add others in the outlet form.
COPY_ONLINE_OUTLET = """
    UPDATE store_outlet SET fulfils_online = true, online_rank = 1
    WHERE id = (SELECT online_outlet_id FROM store_storesettings WHERE id = 1)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0003_logo_shop_image_field"),
    ]

    operations = [
        migrations.AddField(
            model_name="outlet",
            name="fulfils_online",
            field=models.BooleanField(default=False, verbose_name="fulfils online orders"),
        ),
        migrations.AddField(
            model_name="outlet",
            name="online_rank",
            field=models.IntegerField(
                default=1,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(999),
                ],
                help_text="Online orders take stock from outlet 1 first, then 2, and so on.",
                verbose_name="online fulfilment order",
            ),
        ),
        migrations.AddConstraint(
            model_name="outlet",
            constraint=models.CheckConstraint(
                condition=models.Q(("online_rank__gte", 1), ("online_rank__lte", 999)),
                name="outlet_online_rank_range",
            ),
        ),
        migrations.RunSQL(COPY_ONLINE_OUTLET, migrations.RunSQL.noop),
        migrations.RemoveField(
            model_name="storesettings",
            name="online_outlet",
        ),
    ]

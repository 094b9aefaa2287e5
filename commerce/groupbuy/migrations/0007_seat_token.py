import secrets

from django.db import migrations, models

import commerce.groupbuy.models


def give_every_seat_a_token(apps, schema_editor):
    """Seats taken before tokens existed get one each (their old id links stop working)."""
    TeamMember = apps.get_model("groupbuy", "TeamMember")
    seats = list(TeamMember.objects.filter(seat_token__isnull=True).only("pk"))
    for seat in seats:
        seat.seat_token = secrets.token_urlsafe(24)
    TeamMember.objects.bulk_update(seats, ["seat_token"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("groupbuy", "0006_notice_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="teammember",
            name="seat_token",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(give_every_seat_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="teammember",
            name="seat_token",
            field=models.CharField(
                default=commerce.groupbuy.models.seat_token, max_length=32, unique=True
            ),
        ),
    ]

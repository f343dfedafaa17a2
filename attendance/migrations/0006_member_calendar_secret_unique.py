from django.db import migrations, models

import attendance.models


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0005_member_calendar_secret"),
    ]

    operations = [
        migrations.AlterField(
            model_name="member",
            name="calendar_secret",
            field=models.CharField(
                default=attendance.models.new_calendar_secret,
                editable=False,
                help_text="The secret in the address of the member's own calendar feed.",
                max_length=64,
                unique=True,
            ),
        ),
    ]

import secrets

from django.db import migrations, models


def fill_secrets(apps, schema_editor):
    Member = apps.get_model("attendance", "Member")
    for member in Member.objects.only("pk"):
        Member.objects.filter(pk=member.pk).update(calendar_secret=secrets.token_urlsafe(32))


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0004_link_request"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="calendar_secret",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(fill_secrets, migrations.RunPython.noop),
    ]

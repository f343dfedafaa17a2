import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# Organizers see the waiting lists in the admin and may take someone off one; places are given
# by attendance.services.fill_free_places, not typed in.
ORGANIZER_PERMISSIONS = ["view_waitinglistentry", "delete_waitinglistentry"]


def grant_organizers(apps, schema_editor):
    app_config = apps.get_app_config("attendance")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organizers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="attendance", codename__in=ORGANIZER_PERMISSIONS
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0011_organizers_see_apologies_and_preparations"),
        ("sections", "0006_one_line_text"),
    ]

    operations = [
        migrations.CreateModel(
            name="WaitingListEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="waiting_list_entries",
                        to="attendance.member",
                    ),
                ),
                (
                    "section",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="waiting_list",
                        to="sections.section",
                    ),
                ),
            ],
            options={
                "verbose_name": "waiting-list place",
                "verbose_name_plural": "waiting-list places",
                "ordering": ["section", "created_at", "pk"],
                "indexes": [
                    models.Index(
                        fields=["section", "created_at"], name="attendance_waitinglist_line"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("section", "member"),
                        name="attendance_waitinglist_unique_section_member",
                    )
                ],
            },
        ),
        migrations.RunPython(grant_organizers, migrations.RunPython.noop),
    ]

"""Give the "Organizers" group what an organizer needs to manage attendance in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ATTENDANCE_MODELS = ["member", "enrollment", "attendancerecord"]
ACTIONS = ["add", "change", "delete", "view"]


def grant_attendance_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("attendance")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organizers")
    permissions = Permission.objects.filter(
        content_type__app_label="attendance",
        codename__in=[f"{action}_{model}" for model in ATTENDANCE_MODELS for action in ACTIONS],
    )
    group.permissions.add(*permissions)


def revoke_attendance_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="attendance")
    for group in Group.objects.filter(name="Organizers"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sections", "0002_organizers_group"),
        ("attendance", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant_attendance_permissions, revoke_attendance_permissions)]

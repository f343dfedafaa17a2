"""Let the "Organizers" group see members' apologies and preparations (questions) in the
admin, and delete one (a question that should not be there). Nobody adds or edits them there:
members write their own, through /me/."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["view_apology", "delete_apology", "view_preparation", "delete_preparation"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("attendance")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organizers")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="attendance", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="attendance", codename__in=PERMISSIONS
    )
    for group in Group.objects.filter(name="Organizers"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("attendance", "0010_preparation"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

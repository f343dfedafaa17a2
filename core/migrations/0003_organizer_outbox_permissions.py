"""Let the "Organizers" group see the outbox in the admin and send failed email again ("change"
is what the "Try again" action needs; no one adds or deletes outgoing email by hand), and
manage the opt-outs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = [
    "view_outgoingemail",
    "change_outgoingemail",
    "view_emailoptout",
    "add_emailoptout",
    "change_emailoptout",
    "delete_emailoptout",
]


def grant_outbox_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("core")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organizers")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="core", codename__in=CODENAMES)
    )


def revoke_outbox_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="core", codename__in=CODENAMES)
    for group in Group.objects.filter(name="Organizers"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_outbox"),
    ]

    operations = [migrations.RunPython(grant_outbox_permissions, revoke_outbox_permissions)]

"""Create the "Organizers" group with what an organizer needs in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ORGANIZER_MODELS = {
    "syllabus": ["term", "week", "paper", "reading"],
    "sections": ["section", "meeting"],
}
ACTIONS = ["add", "change", "delete", "view"]


def create_organizers_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organizers")
    codenames = [
        f"{action}_{model}"
        for models in ORGANIZER_MODELS.values()
        for model in models
        for action in ACTIONS
    ]
    permissions = Permission.objects.filter(
        content_type__app_label__in=list(ORGANIZER_MODELS), codename__in=codenames
    )
    # Organizers pick users as leads and organizers: they may look users up, not edit them.
    view_user = Permission.objects.filter(content_type__app_label="auth", codename="view_user")
    group.permissions.add(*permissions, *view_user)


def remove_organizers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Organizers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("syllabus", "0001_initial"),
        ("sections", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_organizers_group, remove_organizers_group)]

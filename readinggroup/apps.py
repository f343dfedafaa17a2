from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.backends.signals import connection_created


def use_sqlites_real_parameter_limit(sender, connection, **kwargs):
    """Let bulk writes use SQLite's actual limit on query parameters.

    Django 5.2 assumes SQLite's old default of 999, so a bulk insert of a 200-member roster
    (7 columns) is split into two statements; SQLite ≥ 3.32 allows 32766 (Debian builds
    250000). Django 6.0 reads the real limit (ticket #36143); this does the same until then.
    """
    if connection.vendor == "sqlite":
        import sqlite3

        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        connection.features.max_query_params = min(limit, 32766)


class ReadingGroupConfig(AppConfig):
    name = "readinggroup"
    verbose_name = "Reading group"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from readinggroup.accounts import flag_one_time_password

        connection_created.connect(
            use_sqlites_real_parameter_limit, dispatch_uid="readinggroup.sqlite_limit"
        )
        user_logged_in.connect(flag_one_time_password, dispatch_uid="readinggroup.one_time")


class ReadingGroupAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the site's own AdminSite as `admin.site` (readinggroup/admin_site.py).
    Not this module's default config: that stays ReadingGroupConfig."""

    default = False
    default_site = "readinggroup.admin_site.ReadingGroupAdminSite"

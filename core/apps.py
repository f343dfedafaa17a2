from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    # In the admin its only models are the outbox's (the data version is not shown there).
    verbose_name = "Email"

    def ready(self):
        from core import freshness

        # After every `migrate` (and when the test database is made): put the triggers back
        # (SQLite drops them with a table that a migration rebuilds) and bump the version once,
        # since a data migration may have written while they were missing.
        post_migrate.connect(
            freshness.install_triggers, sender=self, dispatch_uid="core.freshness.install"
        )

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from core.tasks import worker_started
        from notifications import (
            signals,  # noqa: F401 - connects to sections' meeting signals
            tasks,
        )

        # The reminders' planning chain starts with every worker (notifications/tasks.py).
        worker_started.connect(tasks.schedule, dispatch_uid="notifications.plan_reminders")

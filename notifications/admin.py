from django.contrib import admin

from core.admin import SafeIdsMixin
from notifications.models import MeetingChangeNotice


@admin.register(MeetingChangeNotice)
class MeetingChangeNoticeAdmin(SafeIdsMixin, admin.ModelAdmin):
    """Read only: notices are opened and rewritten by meeting changes (notifications.services);
    their messages are in the outbox."""

    list_display = ["__str__", "term", "opened_at", "send_after", "withdrawn_at"]
    list_filter = ["meeting__section__term"]
    list_select_related = ["meeting__section__term", "meeting__week"]
    date_hierarchy = "opened_at"
    readonly_fields = [
        "meeting",
        "before_starts_at",
        "before_ends_at",
        "before_room",
        "before_status",
        "before_public_note",
        "opened_at",
        "send_after",
        "withdrawn_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="term", ordering="meeting__section__term")
    def term(self, notice):
        return notice.meeting.section.term

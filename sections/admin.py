from django.contrib import admin

from sections.models import Meeting, Section


class SectionListFilter(admin.RelatedFieldListFilter):
    """Section choices named with their term, in one query."""

    def field_choices(self, field, request, model_admin):
        return [(section.pk, str(section)) for section in Section.objects.select_related("term")]


class MeetingInline(admin.TabularInline):
    model = Meeting
    fields = ["week", "starts_at", "ends_at", "room_override", "status", "public_note"]
    readonly_fields = ["week", "starts_at", "ends_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # meetings come from weeks × sections (sections.services.sync_meetings)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("week", "section__term")


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "term", "weekday", "start_time", "end_time", "room", "lead_names"]
    list_filter = ["term", "weekday"]
    list_select_related = ["term"]
    search_fields = ["name", "room", "term__name", "leads__first_name", "leads__last_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["leads"]
    inlines = [MeetingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("leads")

    @admin.display(description="leads")
    def lead_names(self, section):
        return ", ".join(lead.get_full_name() or lead.username for lead in section.leads.all())


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "term", "starts_at", "room", "status", "public_note"]
    list_filter = ["status", "section__term", ("section", SectionListFilter)]
    list_select_related = ["section__term", "week"]
    search_fields = ["section__name", "week__title", "public_note", "room_override"]
    fields = ["section", "week", "starts_at", "ends_at", "room_override", "status", "public_note"]
    readonly_fields = ["section", "week", "starts_at", "ends_at"]
    date_hierarchy = "starts_at"

    def has_add_permission(self, request):
        return False  # meetings come from weeks × sections (sections.services.sync_meetings)

    @admin.display(description="term", ordering="section__term")
    def term(self, meeting):
        return meeting.section.term

    @admin.display(description="room")
    def room(self, meeting):
        return meeting.room

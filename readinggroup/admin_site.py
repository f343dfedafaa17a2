"""The site's admin: its apps in the order organizers work in (the syllabus first), and an
index that leads with shortcuts to this term's weeks, sections, papers and leads.

Installed as Django's default admin site (`ReadingGroupAdminConfig` in readinggroup/apps.py),
so every app's `admin.site.register` lands here. The project layer may read every app below.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse

from core.people import person_label
from sections.models import Section
from syllabus.models import Paper, Term, Week

# Apps in the order an organizer needs them; any other app follows, by name.
APP_ORDER = ["syllabus", "sections", "attendance", "notifications", "core", "auth"]
# Models in their order of work where the alphabet would mislead (Papers before Terms).
MODEL_ORDER = {
    "syllabus": ["Term", "Week", "Paper", "Reading"],
    "sections": ["Section", "Meeting", "DiscussionNote"],
    "attendance": ["Member", "AttendanceRecord", "Apology", "Preparation", "WaitingListEntry"],
    "core": ["OutgoingEmail", "EmailOptOut"],
}


# The index's links to this term's lists: model, label, change list, its filter by term.
SHORTCUTS = [
    (Week, "Weeks", "admin:syllabus_week_changelist", "term__id__exact"),
    (Section, "Sections", "admin:sections_section_changelist", "term__id__exact"),
    (Paper, "Papers", "admin:syllabus_paper_changelist", "readings__week__term__id__exact"),
]


@dataclass(frozen=True)
class Shortcut:
    label: str
    url: str
    count: int


@dataclass(frozen=True)
class ThisTerm:
    term: Term
    change_url: str
    shortcuts: list[Shortcut]
    leads: list[tuple[Section, str, list[str]]]  # section, its change page, its leads' labels


def _rank(order, name):
    return (order.index(name), "") if name in order else (len(order), name.lower())


class ReadingGroupAdminSite(admin.AdminSite):
    site_header = "Reading group administration"
    site_title = "Reading group admin"
    index_title = "Terms, weeks, papers and sections"

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        apps.sort(key=lambda app: _rank(APP_ORDER, app["app_label"]))
        for app in apps:
            order = MODEL_ORDER.get(app["app_label"], [])
            app["models"].sort(key=lambda model: _rank(order, model["object_name"]))
        return apps

    def autocomplete_view(self, request):
        # Imported here: core.admin registers the outbox's admins, which needs this site.
        from core.admin import PeopleAutocompleteJsonView

        return PeopleAutocompleteJsonView.as_view(admin_site=self)(request)

    def index(self, request, extra_context=None):
        context = {"this_term": self.this_term(request), **(extra_context or {})}
        return super().index(request, context)

    def this_term(self, request):
        """Shortcuts to the current term (the latest term when none is published), to what
        `request.user` may see; None without a term or the right to see terms. Four queries."""
        if not self._may_see(request, Term):
            return None
        term = Term.objects.current() or Term.objects.order_by("-first_monday", "-pk").first()
        if term is None:
            return None
        counts = Term.objects.filter(pk=term.pk).aggregate(
            week_count=Count("weeks", distinct=True),
            paper_count=Count("weeks__readings__paper", distinct=True),
        )
        sections = list(Section.objects.for_term(term).with_leads())
        count = {Week: counts["week_count"], Section: len(sections), Paper: counts["paper_count"]}
        shortcuts = [
            Shortcut(label, f"{reverse(url)}?{lookup}={term.pk}", count[model])
            for model, label, url, lookup in SHORTCUTS
            if self._may_see(request, model)
        ]
        leads = []
        if self._may_see(request, Section):
            leads = [
                (
                    section,
                    reverse("admin:sections_section_change", args=[section.pk]),
                    [person_label(lead) for lead in section.leads.all()],
                )
                for section in sections
            ]
        return ThisTerm(
            term=term,
            change_url=reverse("admin:syllabus_term_change", args=[term.pk]),
            shortcuts=shortcuts,
            leads=leads,
        )

    def _may_see(self, request, model):
        model_admin = self._registry.get(model)
        return model_admin is not None and model_admin.has_view_or_change_permission(request)

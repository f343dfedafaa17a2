from django.urls import path

from sections.views import feeds, meetings, notes, schedule

app_name = "sections"

urlpatterns = [
    path("", schedule.home, name="home"),
    path("terms/<slug:term>/", schedule.term_schedule, name="term-schedule"),
    path("terms/<slug:term>/calendar.ics", feeds.term_calendar, name="term-calendar"),
    path("terms/<slug:term>/schedule.json", feeds.schedule_json, name="schedule-json"),
    path("terms/<slug:term>/weeks/<int:number>/", schedule.week_detail, name="week-detail"),
    path(
        "terms/<slug:term>/sections/<slug:section>/",
        schedule.section_detail,
        name="section-detail",
    ),
    path(
        "terms/<slug:term>/sections/<slug:section>/calendar.ics",
        feeds.section_calendar,
        name="section-calendar",
    ),
    path(
        "terms/<slug:term>/sections/<slug:section>/meetings/<int:number>.ics",
        feeds.meeting_calendar,
        name="meeting-calendar",
    ),
    path("meetings/<int:pk>/change/", meetings.meeting_change, name="meeting-change"),
    path("meetings/<int:meeting>/notes/", notes.note_edit, name="note-edit"),
    path("meetings/<int:meeting>/notes/history/", notes.note_history, name="note-history"),
    path(
        "meetings/<int:meeting>/notes/history/<int:number>/restore/",
        notes.note_restore,
        name="note-restore",
    ),
]

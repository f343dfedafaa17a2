from django.urls import path

from sections import views

app_name = "sections"

urlpatterns = [
    path("", views.home, name="home"),
    path("terms/<slug:term>/", views.term_schedule, name="term-schedule"),
    path("terms/<slug:term>/calendar.ics", views.term_calendar, name="term-calendar"),
    path("terms/<slug:term>/schedule.json", views.schedule_json, name="schedule-json"),
    path("terms/<slug:term>/weeks/<int:number>/", views.week_detail, name="week-detail"),
    path("terms/<slug:term>/sections/<slug:section>/", views.section_detail, name="section-detail"),
    path(
        "terms/<slug:term>/sections/<slug:section>/calendar.ics",
        views.section_calendar,
        name="section-calendar",
    ),
    path(
        "terms/<slug:term>/sections/<slug:section>/meetings/<int:number>.ics",
        views.meeting_calendar,
        name="meeting-calendar",
    ),
    path("meetings/<int:pk>/change/", views.meeting_change, name="meeting-change"),
    path("meetings/<int:meeting>/notes/", views.note_edit, name="note-edit"),
    path("meetings/<int:meeting>/notes/history/", views.note_history, name="note-history"),
    path(
        "meetings/<int:meeting>/notes/history/<int:number>/restore/",
        views.note_restore,
        name="note-restore",
    ),
]

from django.urls import path

from sections import views

app_name = "sections"

urlpatterns = [
    path("", views.home, name="home"),
    path("terms/<slug:term>/", views.term_schedule, name="term-schedule"),
    path("terms/<slug:term>/weeks/<int:number>/", views.week_detail, name="week-detail"),
    path("terms/<slug:term>/sections/<slug:section>/", views.section_detail, name="section-detail"),
    path("meetings/<int:meeting>/notes/", views.note_edit, name="note-edit"),
    path("meetings/<int:meeting>/notes/history/", views.note_history, name="note-history"),
    path(
        "meetings/<int:meeting>/notes/history/<int:number>/restore/",
        views.note_restore,
        name="note-restore",
    ),
]

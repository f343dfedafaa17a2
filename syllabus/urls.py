from django.urls import path

from syllabus import views

app_name = "syllabus"

urlpatterns = [
    path("terms/", views.term_list, name="term-list"),
    path("terms/<slug:term>/readings/", views.reading_list, name="reading-list"),
    path("terms/<slug:term>/readings.bib", views.reading_list_bib, name="reading-list-bib"),
]

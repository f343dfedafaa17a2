from django.urls import path

from syllabus import views

app_name = "syllabus"

urlpatterns = [
    path("terms/", views.term_list, name="term-list"),
    path("terms/<slug:term>/readings/", views.reading_list, name="reading-list"),
]

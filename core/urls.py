from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

"""Members' pages (docs/members.md): signing in by email link, joining a section, /me/."""

from django.urls import path

from attendance import checkin_views
from attendance import member_views as views

app_name = "members"

urlpatterns = [
    path("signin/", views.sign_in, name="signin"),
    path("signin/link/", views.sign_in_link, name="signin-link"),
    path("me/", views.me, name="me"),
    path("me/sections/<int:pk>/leave/", views.leave, name="leave"),
    path("me/sections/<int:pk>/move/", views.move, name="move"),
    path("me/data.json", views.my_data, name="data"),
    path("me/delete/", views.delete_account, name="delete"),
    path(
        "me/sections/<int:pk>/waiting-list/leave/",
        views.waiting_list_leave,
        name="waiting-list-leave",
    ),
    path("me/email/", views.email_settings, name="email-settings"),
    path("me/calendar/reset/", views.calendar_reset, name="calendar-reset"),
    path("me/calendar/<str:secret>.ics", views.calendar, name="calendar"),
    path("meetings/<int:pk>/cant-come/", views.cant_come, name="cant-come"),
    path("meetings/<int:pk>/read/", views.read, name="read"),
    path("meetings/<int:pk>/question/", views.question, name="question"),
    path("meetings/<int:pk>/questions/", views.questions, name="questions"),
    path("terms/<slug:term>/sections/<slug:section>/join/", views.join, name="join"),
    path("join/confirm/", views.join_confirm, name="join-confirm"),
    path("checkin/", checkin_views.enter_code, name="checkin"),
    path("checkin/<str:code>/", checkin_views.check_in, name="checkin-code"),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from readinggroup import views
from readinggroup.forms import PasswordResetForm

handler400 = views.bad_request
handler500 = views.server_error

urlpatterns = [
    path("admin/", admin.site.urls),
    # Django's account pages (django.contrib.auth.urls), some with the project's own views.
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password_reset/",
        views.unless_email_is_configured(
            auth_views.PasswordResetView.as_view(form_class=PasswordResetForm)
        ),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        views.unless_email_is_configured(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.unless_email_is_configured(views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        views.unless_email_is_configured(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("schema/<slug:name>.json", views.json_schema, name="json-schema"),
    path("", include("core.urls")),
    path("attendance/", include("attendance.urls")),
    path("", include("attendance.member_urls")),
    path("", include("syllabus.urls")),
    path("", include("sections.urls")),
]

from django.contrib import admin
from django.urls import include, path

from readinggroup import views

admin.site.site_header = "Reading group administration"
admin.site.site_title = "Reading group admin"
admin.site.index_title = "Terms, weeks, papers and sections"

handler400 = views.bad_request
handler500 = views.server_error

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/password_change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("attendance/", include("attendance.urls")),
    path("", include("syllabus.urls")),
    path("", include("sections.urls")),
]

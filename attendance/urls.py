from django.urls import path

from attendance import views

app_name = "attendance"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("meetings/<int:pk>/", views.roster, name="roster"),
    path("meetings/<int:pk>/checkin/", views.checkin_display, name="checkin-display"),
    path("sections/<int:pk>/add/", views.section_bulk_add, name="section-add"),
    path("sections/<int:pk>/report/", views.section_report, name="section-report"),
    path("sections/<int:pk>/report.csv", views.section_report_csv, name="section-report-csv"),
    path("sections/<int:pk>/report.xlsx", views.section_report_xlsx, name="section-report-xlsx"),
    path("terms/<slug:slug>/", views.term_overview, name="term-overview"),
]

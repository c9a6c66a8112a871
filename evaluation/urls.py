from django.urls import path

from .views import sustainability

app_name = "evaluation"

urlpatterns: list = [
    # sustainability (organisation pages under orgs/<slug:org>/sustainability/...)
    path("orgs/<slug:org>/sustainability/", sustainability.sustainability_overview, name="sustainability"),
    path(
        "orgs/<slug:org>/sustainability/projects/<int:pk>/assessment/<slug:round>/",
        sustainability.assessment_edit,
        name="assessment_edit",
    ),
    path("orgs/<slug:org>/sustainability/projects/<int:pk>/plan/", sustainability.plan_edit, name="plan_edit"),
    path(
        "orgs/<slug:org>/sustainability/projects/<int:pk>/reflections/",
        sustainability.reflections_edit,
        name="reflections_edit",
    ),
    path("orgs/<slug:org>/report/", sustainability.report, name="report"),
    path("orgs/<slug:org>/report.pdf", sustainability.report_pdf, name="report_pdf"),
    # the evaluation area and reports (under evaluation/...)
    # approach feedback (under feedback/... or orgs/<slug:org>/feedback/...)
    # the evaluator package (under evaluation/package/...)
]

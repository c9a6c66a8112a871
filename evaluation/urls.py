from django.urls import path

from .views import feedback, package, questions, sustainability

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
    path("evaluation/", questions.home, name="home"),
    path("evaluation/export.csv", questions.export, name="export"),
    path("evaluation/sustained/", questions.sustained, name="sustained"),
    path("evaluation/interventions/", questions.interventions, name="interventions"),
    path("evaluation/interventions.csv", questions.interventions_csv, name="interventions_csv"),
    path("evaluation/interventions.xlsx", questions.interventions_xlsx, name="interventions_xlsx"),
    path("evaluation/approach/", questions.approach, name="approach"),
    path("evaluation/series/", questions.series, name="series"),
    # approach feedback (under feedback/... or orgs/<slug:org>/feedback/...)
    path("feedback/", feedback.approach_feedback, name="feedback"),
    # the evaluator package (under evaluation/package/...)
    path("evaluation/package/", package.package_page, name="package"),
    path("evaluation/package/<int:version>/download", package.package_download, name="package_download"),
]

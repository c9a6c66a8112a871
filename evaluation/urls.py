from django.urls import path

from .views import feedback, questions

app_name = "evaluation"

urlpatterns: list = [
    # sustainability (organisation pages under orgs/<slug:org>/sustainability/...)
    # the evaluation area and reports (under evaluation/...)
    path("evaluation/", questions.home, name="home"),
    path("evaluation/export.csv", questions.export, name="export"),
    path("evaluation/sustained/", questions.sustained, name="sustained"),
    path("evaluation/interventions/", questions.interventions, name="interventions"),
    path("evaluation/interventions.csv", questions.interventions_csv, name="interventions_csv"),
    path("evaluation/interventions.xlsx", questions.interventions_xlsx, name="interventions_xlsx"),
    path("evaluation/approach/", questions.approach, name="approach"),
    # approach feedback (under feedback/... or orgs/<slug:org>/feedback/...)
    path("feedback/", feedback.approach_feedback, name="feedback"),
    # the evaluator package (under evaluation/package/...)
]

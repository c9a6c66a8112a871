from django.urls import path

from .views import questions

app_name = "evaluation"

urlpatterns: list = [
    # sustainability (organisation pages under orgs/<slug:org>/sustainability/...)
    # the evaluation area and reports (under evaluation/...)
    path("evaluation/", questions.home, name="home"),
    path("evaluation/export.csv", questions.export, name="export"),
    path("evaluation/sustained/", questions.sustained, name="sustained"),
    # approach feedback (under feedback/... or orgs/<slug:org>/feedback/...)
    # the evaluator package (under evaluation/package/...)
]

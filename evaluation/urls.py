from django.urls import path  # noqa: F401  (the areas add their paths below)

app_name = "evaluation"

urlpatterns: list = [
    # sustainability (organisation pages under orgs/<slug:org>/sustainability/...)
    # the evaluation area and reports (under evaluation/...)
    # approach feedback (under feedback/... or orgs/<slug:org>/feedback/...)
    # the evaluator package (under evaluation/package/...)
]

from django.urls import path

from .views import package

app_name = "evaluation"

urlpatterns: list = [
    # sustainability (organisation pages under orgs/<slug:org>/sustainability/...)
    # the evaluation area and reports (under evaluation/...)
    # approach feedback (under feedback/... or orgs/<slug:org>/feedback/...)
    # the evaluator package (under evaluation/package/...)
    path("evaluation/package/", package.package_page, name="package"),
    path("evaluation/package/<int:version>/download", package.package_download, name="package_download"),
]

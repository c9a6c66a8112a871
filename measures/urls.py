from django.urls import path

from . import api, views

app_name = "measures"

data = "orgs/<slug:org>/data/"
design = "orgs/<slug:org>/design/"
measure = data + "measures/<int:pk>/"

urlpatterns = [
    path(data, views.data_overview, name="data_overview"),
    path(data + "import/", views.data_import, name="data_import"),
    path(data + "template.csv", views.import_template, name="import_template"),
    path(measure, views.measure_chart, name="measure_chart"),
    path(measure + "data.csv", views.measure_csv, name="measure_csv"),
    path(measure + "enter/", views.measure_grid, name="measure_grid"),
    path(measure + "enter/cell/", views.grid_cell, name="grid_cell"),
    path(measure + "settings/", views.measure_settings, name="measure_settings"),
    path(measure + "rebase/", views.measure_rebase, name="measure_rebase"),
    path("api/v1/measures/<str:code>/data", api.measure_data, name="api_measure_data"),
    # Measure definitions: part of the measurement strategy, so they sit under local design's paths.
    path(design + "projects/<int:pk>/measures/new/", views.measure_create, name="measure_create"),
    path(design + "measures/<int:pk>/", views.measure_detail, name="measure_detail"),
    path(design + "measures/<int:pk>/edit/", views.measure_edit, name="measure_edit"),
    path("programme/measure-library/", views.measure_library, name="measure_library"),
]

from django.urls import path

from . import api, views

app_name = "measures"

data = "orgs/<slug:org>/data/"
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
    path("api/v1/measures/<str:code>/data", api.measure_data, name="api_measure_data"),
]

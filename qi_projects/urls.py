from django.urls import path

from . import views

app_name = "qi_projects"

org = "orgs/<slug:org>/design/"
project = org + "projects/<int:pk>/"

urlpatterns = [
    path(org, views.local_design, name="local_design"),
    path(org + "projects/new/", views.project_create, name="project_create"),
    path(project, views.project_detail, name="project_detail"),
    path(project + "edit/", views.project_edit, name="project_edit"),
    path(project + "focus/new/", views.focus_create, name="focus_create"),
    path(org + "focus/<int:pk>/edit/", views.focus_edit, name="focus_edit"),
    path(org + "focus/<int:pk>/delete/", views.focus_delete, name="focus_delete"),
    path(org + "profiles/new/", views.profile_create, name="profile_create"),
    path(org + "profiles/<int:pk>/", views.profile_detail, name="profile_detail"),
    path(org + "profiles/<int:pk>/counts/", views.profile_counts, name="profile_counts"),
    path(project + "change-theory/", views.diagram, name="diagram"),
    path(project + "change-theory/start/", views.diagram_start, name="diagram_start"),
    path(project + "change-theory/edit/", views.diagram_edit, name="diagram_edit"),
    path(project + "change-theory/change/", views.diagram_change, name="diagram_change"),
    path(project + "change-theory/history/", views.diagram_history, name="diagram_history"),
    path(org + "coproduction/", views.coproduction, name="coproduction"),
    path(org + "coproduction/new/", views.coproduction_create, name="coproduction_create"),
    path(org + "coproduction/<int:pk>/edit/", views.coproduction_edit, name="coproduction_edit"),
    path("programme/change-theory/", views.programme_theory, name="programme_theory"),
    path("programme/change-theory/edit/", views.programme_theory_edit, name="programme_theory_edit"),
    path("programme/change-theory/change/", views.programme_theory_change, name="programme_theory_change"),
    path("programme/change-theory/history/", views.programme_theory_history, name="programme_theory_history"),
    path("programme/change-theory/adoption/", views.programme_adoption, name="programme_adoption"),
]

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
    path(project + "change-theory/comments/", views.diagram_comment, name="diagram_comment"),
    path(project + "measures/new/", views.measure_create, name="measure_create"),
    path(org + "measures/<int:pk>/", views.measure_detail, name="measure_detail"),
    path(org + "measures/<int:pk>/edit/", views.measure_edit, name="measure_edit"),
    path(org + "measures/<int:pk>/comments/", views.measure_comment, name="measure_comment"),
    path(org + "coproduction/", views.coproduction, name="coproduction"),
    path(org + "coproduction/new/", views.coproduction_create, name="coproduction_create"),
    path(org + "coproduction/<int:pk>/edit/", views.coproduction_edit, name="coproduction_edit"),
    path("programme/change-theory/", views.programme_theory, name="programme_theory"),
    path("programme/change-theory/edit/", views.programme_theory_edit, name="programme_theory_edit"),
    path("programme/change-theory/change/", views.programme_theory_change, name="programme_theory_change"),
    path("programme/change-theory/history/", views.programme_theory_history, name="programme_theory_history"),
    path("programme/change-theory/adoption/", views.programme_adoption, name="programme_adoption"),
    path("programme/measure-library/", views.measure_library, name="measure_library"),
]

# --- Testing and scaling up: PDSA cycles, change ideas, feedback, progress ------------

from . import views_pdsa  # noqa: E402

pdsa = "orgs/<slug:org>/pdsa/"
cycle = pdsa + "<int:pk>/"
idea = "orgs/<slug:org>/change-ideas/<int:pk>/"

urlpatterns += [
    path(pdsa, views_pdsa.pdsa_list, name="pdsa_list"),
    path(pdsa + "new/", views_pdsa.pdsa_create, name="pdsa_create"),
    path(pdsa + "draft/", views_pdsa.pdsa_draft, name="pdsa_draft"),
    path(cycle, views_pdsa.pdsa_detail, name="pdsa_detail"),
    path(cycle + "plan/", views_pdsa.pdsa_plan, name="pdsa_plan"),
    path(cycle + "do/", views_pdsa.pdsa_do, name="pdsa_do"),
    path(cycle + "study/", views_pdsa.pdsa_study, name="pdsa_study"),
    path(cycle + "act/", views_pdsa.pdsa_act, name="pdsa_act"),
    path(cycle + "comments/", views_pdsa.pdsa_comment, name="pdsa_comment"),
    path(cycle + "attachments/", views_pdsa.attachment_upload, name="attachment_upload"),
    path(pdsa + "attachments/<int:pk>/", views_pdsa.attachment_download, name="attachment_download"),
    path(idea, views_pdsa.change_idea_detail, name="change_idea_detail"),
    path(idea + "move/", views_pdsa.change_idea_move, name="change_idea_move"),
    path(idea + "comments/", views_pdsa.change_idea_comment, name="change_idea_comment"),
    path(project + "progress/", views_pdsa.progress_score, name="progress_score"),
    path(project + "progress/override/", views_pdsa.progress_override, name="progress_override"),
    path("orgs/<slug:org>/notifications/", views_pdsa.notifications, name="notifications"),
]

from django.urls import path

from . import views

app_name = "pdsa"

pdsa = "orgs/<slug:org>/pdsa/"
cycle = pdsa + "<int:pk>/"
idea = "orgs/<slug:org>/change-ideas/<int:pk>/"
project = "orgs/<slug:org>/design/projects/<int:pk>/"

urlpatterns = [
    path(pdsa, views.pdsa_list, name="pdsa_list"),
    path(pdsa + "new/", views.pdsa_create, name="pdsa_create"),
    path(pdsa + "draft/", views.pdsa_draft, name="pdsa_draft"),
    path(cycle, views.pdsa_detail, name="pdsa_detail"),
    path(cycle + "plan/", views.pdsa_plan, name="pdsa_plan"),
    path(cycle + "do/", views.pdsa_do, name="pdsa_do"),
    path(cycle + "study/", views.pdsa_study, name="pdsa_study"),
    path(cycle + "act/", views.pdsa_act, name="pdsa_act"),
    path(cycle + "comments/", views.pdsa_comment, name="pdsa_comment"),
    path(cycle + "attachments/", views.attachment_upload, name="attachment_upload"),
    path(pdsa + "attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path(idea, views.change_idea_detail, name="change_idea_detail"),
    path(idea + "move/", views.change_idea_move, name="change_idea_move"),
    path(idea + "comments/", views.change_idea_comment, name="change_idea_comment"),
    path(project + "progress/", views.progress_score, name="progress_score"),
    path(project + "progress/override/", views.progress_override, name="progress_override"),
    # Comments on local design and measure definitions are PDSA-app comments too (one thread model).
    path(project + "change-theory/comments/", views.diagram_comment, name="diagram_comment"),
    path("orgs/<slug:org>/design/measures/<int:pk>/comments/", views.measure_comment, name="measure_comment"),
]

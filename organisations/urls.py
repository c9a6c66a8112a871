from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("orgs/<slug:org>/team/", views.team, name="team"),
    path("orgs/<slug:org>/team.csv", views.team_export, name="team_export"),
    path("orgs/<slug:org>/api-tokens/", views.api_tokens, name="api_tokens"),
    path("orgs/<slug:org>/notifications/", views.notifications, name="notifications"),
    path("orgs/<slug:org>/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("notifications/", views.inbox, name="inbox"),
    path("programme/invitations/", views.programme_invite, name="programme_invite"),
    path("programme/audit/", views.audit_log, name="audit_log"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

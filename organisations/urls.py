from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("orgs/<slug:org>/team/", views.team, name="team"),
    path("orgs/<slug:org>/team.csv", views.team_export, name="team_export"),
    path("orgs/<slug:org>/team/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("orgs/<slug:org>/team/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("orgs/<slug:org>/team/invitations/<int:pk>/withdraw/", views.invitation_withdraw, name="invitation_withdraw"),
    path("orgs/<slug:org>/api-tokens/", views.api_tokens, name="api_tokens"),
    path("orgs/<slug:org>/notifications/", views.notifications, name="notifications"),
    path("orgs/<slug:org>/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/email/", views.preferences, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("programme/deliveries/", views.deliveries_list, name="deliveries"),
    path("programme/deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
    path("programme/invitations/", views.programme_invite, name="programme_invite"),
    path("programme/audit/", views.audit_log, name="audit_log"),
    path(
        "programme/invitations/<int:pk>/withdraw/",
        views.programme_invitation_withdraw,
        name="programme_invitation_withdraw",
    ),
    path("programme/accounts/<int:pk>/close/", views.account_close, name="account_close"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

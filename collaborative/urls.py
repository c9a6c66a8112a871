from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.login = secure_admin_login(admin.site.login)

programme_patterns = (
    [
        path("programme/", views.board, name="board"),
        path("coaching/", views.portfolio, name="portfolio"),
        path("orgs/<slug:org>/", views.workspace, name="workspace"),
        path("programme/enrol/", views.enrol, name="enrol"),
        path("programme/settings/", views.collaborative_settings, name="settings"),
        path("orgs/<slug:org>/programme/", views.phase_overview, name="phases"),
        path("orgs/<slug:org>/programme/start/", views.phase_start, name="phase_start"),
        path("orgs/<slug:org>/programme/phases/<int:number>/adjust/", views.phase_adjust, name="phase_adjust"),
        path("orgs/<slug:org>/programme/gate/pass/", views.gate_pass, name="gate_pass"),
        path("orgs/<slug:org>/programme/gate/<slug:key>/tick/", views.gate_tick, name="gate_tick"),
        path("orgs/<slug:org>/programme/people/", views.people, name="people"),
        path("orgs/<slug:org>/meetings/", views.meetings, name="meetings"),
        path("orgs/<slug:org>/coaching/", views.coaching, name="coaching"),
        path("orgs/<slug:org>/sponsor/", views.sponsor, name="sponsor"),
        path("orgs/<slug:org>/asks/", views.asks, name="asks"),
        path("orgs/<slug:org>/asks/<int:pk>/answer/", views.ask_answer, name="ask_answer"),
        path("orgs/<slug:org>/asks/<int:pk>/resolve/", views.ask_resolve, name="ask_resolve"),
        path("orgs/<slug:org>/fees/", views.fees, name="fees"),
        path("orgs/<slug:org>/fees/<int:pk>/", views.invoice_edit, name="invoice_edit"),
    ],
    "collaborative",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("welcome/", views.no_role, name="no_role"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include(programme_patterns)),
    path("", include("organisations.urls")),
    path("", include("measures.urls")),
    path("", include("qi_projects.urls")),
    path("", include("qi_projects.pdsa.urls")),
    path("", include("learning_sets.urls")),  # /learning-sets/..., /calendar/<token>.ics, case studies
    path("", include("evaluation.urls")),  # sustainability, the evaluation area, approach feedback, the package
]

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.login = secure_admin_login(admin.site.login)

programme_patterns = (
    [
        path("programme/", views.board, name="board"),
        path("evaluation/", views.evaluation, name="evaluation"),
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
]

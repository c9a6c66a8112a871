from django.apps import AppConfig


class QIProjectsConfig(AppConfig):
    name = "qi_projects"

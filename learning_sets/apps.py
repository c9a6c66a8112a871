from django.apps import AppConfig


class LearningSetsConfig(AppConfig):
    name = "learning_sets"

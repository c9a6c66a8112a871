from django.apps import AppConfig


class CollaborativeConfig(AppConfig):
    name = "collaborative"
    verbose_name = "Programme"

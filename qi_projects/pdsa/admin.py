from django.contrib import admin

from . import models


@admin.register(models.PdsaCycle)
class PdsaCycleAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "status", "planned_start", "decision"]
    list_filter = ["organisation", "status", "decision"]


@admin.register(models.ChangeIdeaMove)
class ChangeIdeaMoveAdmin(admin.ModelAdmin):
    list_display = ["change_idea", "organisation", "from_stage", "to_stage", "at"]
    list_filter = ["organisation", "to_stage"]


@admin.register(models.Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organisation", "author", "created_at"]
    list_filter = ["organisation"]

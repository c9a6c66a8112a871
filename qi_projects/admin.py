from django.contrib import admin

from . import models


@admin.register(models.ImprovementProject)
class ImprovementProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "target_date"]
    list_filter = ["organisation"]


@admin.register(models.ProgrammeChangeTheory)
class ProgrammeChangeTheoryAdmin(admin.ModelAdmin):
    list_display = ["collaborative", "version", "updated_at"]


@admin.register(models.ChangeTheory)
class ChangeTheoryAdmin(admin.ModelAdmin):
    list_display = ["project", "organisation", "version", "updated_at"]
    list_filter = ["organisation"]


@admin.register(models.CoproductionEntry)
class CoproductionEntryAdmin(admin.ModelAdmin):
    list_display = ["date", "organisation", "step", "level", "topic"]
    list_filter = ["organisation", "step", "level"]

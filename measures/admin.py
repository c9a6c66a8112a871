from django.contrib import admin

from .models import Measure, MeasureTemplate


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organisation", "kind", "frequency", "improvement"]
    list_filter = ["organisation", "kind"]


@admin.register(MeasureTemplate)
class MeasureTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "collaborative", "kind"]

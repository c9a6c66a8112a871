from django.contrib import admin

from .models import Collaborative, Enrolment


@admin.register(Collaborative)
class CollaborativeAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["organisation", "collaborative", "start_date", "active"]

    def get_queryset(self, request):
        # The admin is a national-level tool (superusers only): it reads across tenants.
        return Enrolment.objects.with_scopes_disabled().all()

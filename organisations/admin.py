from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Assignment, AuditEvent, Invitation, Membership, Organisation, ProgrammeRole, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ProgrammeRole)
class ProgrammeRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "collaborative"]


class ScopesDisabledAdmin(admin.ModelAdmin):
    """The admin is a national-level tool (superusers only): it reads across tenants."""

    def get_queryset(self, request):
        return self.model.objects.with_scopes_disabled().all()


@admin.register(Membership)
class MembershipAdmin(ScopesDisabledAdmin):
    list_display = ["user", "role", "organisation"]


@admin.register(Assignment)
class AssignmentAdmin(ScopesDisabledAdmin):
    list_display = ["user", "role", "organisation"]


@admin.register(Invitation)
class InvitationAdmin(ScopesDisabledAdmin):
    list_display = ["email", "role", "organisation", "created_at", "accepted_at"]
    readonly_fields = ["accepted_at", "accepted_by", "sent_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes audit entries, not even a superuser."""

    list_display = ["at", "user_email", "action", "organisation", "summary"]
    list_filter = ["action"]
    search_fields = ["user_email", "summary"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

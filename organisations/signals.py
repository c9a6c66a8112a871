"""Audit sign-ins and every change to organisation data, wherever it is made."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .audit import record
from .models import AuditEvent, Organisation


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record(AuditEvent.Action.LOGIN, user=user, request=request, summary="Signed in")


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record(AuditEvent.Action.LOGOUT, user=user, request=request, summary="Signed out")


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    email = str(credentials.get("email") or credentials.get("username") or "")[:200]
    AuditEvent.objects.create(
        action=AuditEvent.Action.LOGIN_FAILED,
        user_email=email,
        summary=f"Failed sign-in for {email}",
        path=request.path[:300] if request is not None else "",
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )


def _is_organisation_data(sender) -> bool:
    if sender is AuditEvent or not hasattr(sender, "_meta"):
        return False
    try:
        field = sender._meta.get_field("organisation")
    except Exception:
        return False
    return getattr(field, "related_model", None) is Organisation


@receiver(post_save)
def audit_change(sender, instance, created, raw=False, **kwargs):
    if raw or not _is_organisation_data(sender):
        return
    action = AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE
    record(action, organisation=instance.organisation_id, obj=instance)


@receiver(post_delete)
def audit_delete(sender, instance, **kwargs):
    if not _is_organisation_data(sender):
        return
    record(AuditEvent.Action.DELETE, organisation=instance.organisation_id, obj=instance)

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from .models import Invitation, accept_invitation

SESSION_KEY = "invitation_id"


def pending_invitation(request) -> Invitation | None:
    invitation_id = request.session.get(SESSION_KEY)
    if not invitation_id:
        return None
    # Before sign-up there is no user and so no scope; the id came from a signed link.
    with scopes_disabled():
        return Invitation.objects.pending().filter(pk=invitation_id).first()


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come only by invitation: sign-up is open only to a holder of a valid link."""

    def is_open_for_signup(self, request):
        return pending_invitation(request) is not None

    def clean_email(self, email):
        request = getattr(self, "request", None)
        invitation = pending_invitation(request) if request is not None else None
        if invitation is not None and email.lower() != invitation.email.lower():
            raise forms.ValidationError("Use the email address your invitation was sent to.")
        return email.lower()

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        invitation = pending_invitation(request)
        if commit and invitation is not None:
            accept_invitation(invitation.pk, user)
            request.session.pop(SESSION_KEY, None)
        return user

    def get_signup_redirect_url(self, request):
        return "/"

    def send_mail(self, template_prefix, email, context):
        # Emails name the site, not the host the request came in on ("localhost").
        context.setdefault("sent_at", timezone.now())
        context.setdefault("site_name", settings.SITE_NAME)
        context.setdefault("site_url", settings.SITE_URL)
        super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject):
        return f"{settings.SITE_NAME}: {subject}"

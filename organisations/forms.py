from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled

from . import text as bounded
from .models import PROGRAMME_ROLES, TEAM_ROLES, Invitation, Organisation, Role
from .widgets import DateInput

INVITATION_DAYS = 14
LEAD_MAY_INVITE = [Role.MEMBER, Role.DATA_CHAMPION, Role.SPONSOR, Role.LIVED_EXPERIENCE]


class InvitationForm(forms.ModelForm):
    """An invitation to one role. Who may offer which role is decided by the caller."""

    class Meta:
        model = Invitation
        fields = ["email", "role"]
        labels = {"email": "Email address", "role": "Role"}

    def __init__(self, *args, roles, organisation=None, collaborative=None, invited_by=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "Choose a role")] + [(r.value, r.label) for r in roles]
        self.organisation = organisation
        self.collaborative = collaborative
        self.invited_by = invited_by

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        self.check_not_duplicate(cleaned)
        return cleaned

    def check_not_duplicate(self, cleaned) -> None:
        email, role = cleaned.get("email"), cleaned.get("role")
        if not email or not role:
            return
        # Checking our own organisation's (or the programme's) people: the caller may see them.
        with scopes_disabled():
            people = get_user_model().objects.filter(email=email)
            if role in TEAM_ROLES:
                already = people.filter(memberships__organisation=self.organisation, memberships__role=role).exists()
            else:
                already = people.filter(
                    programme_roles__collaborative=self.collaborative, programme_roles__role=role
                ).exists()
                if already and self.organisation is not None:
                    already = people.filter(
                        assignments__organisation=self.organisation, assignments__role=role
                    ).exists()
            pending = Invitation.objects.pending().filter(email=email, role=role, organisation=self.organisation)
            if already:
                self.add_error("email", "This person already has that role.")
            elif pending.exists():
                self.add_error("email", "An invitation for this person and role is already waiting to be accepted.")

    def save(self, commit=True):
        invitation = super().save(commit=False)
        invitation.organisation = self.organisation
        invitation.collaborative = self.collaborative
        invitation.invited_by = self.invited_by
        invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
        if commit:
            invitation.save()
        return invitation


class ProgrammeInvitationForm(InvitationForm):
    """The national team invites project leads, sponsors and programme staff."""

    organisation_choice = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Organisation",
        help_text="Required for project leads and sponsors; for coaches and experts, the organisation they support.",
    )

    class Meta(InvitationForm.Meta):
        fields = ["email", "role", "organisation_choice"]

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, roles=[Role.LEAD, Role.SPONSOR, *PROGRAMME_ROLES], **kwargs)
        self.fields["organisation_choice"].queryset = organisations
        self.order_fields(["email", "role", "organisation_choice"])

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        role = cleaned.get("role")
        organisation = cleaned.get("organisation_choice")
        if role in TEAM_ROLES and organisation is None:
            self.add_error("organisation_choice", "Choose the organisation this person will join.")
        if role in (Role.NATIONAL, Role.EVALUATOR) and organisation is not None:
            self.add_error(
                "organisation_choice", "National team members and evaluators are not tied to one organisation."
            )
        self.organisation = organisation
        if not self.errors:
            self.check_not_duplicate(cleaned)
        return cleaned


class AuditFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False, label="Organisation")
    user = bounded.VisibleCharField(required=False, label="User email contains", max_length=254)
    date_from = forms.DateField(required=False, label="From", widget=DateInput())
    date_to = forms.DateField(required=False, label="To", widget=DateInput())

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="What will use this token?", max_length=100, help_text="For example: Data warehouse nightly load."
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="New role", widget=forms.RadioSelect)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]


class EmailPreferencesForm(forms.Form):
    """Which kinds of reminder come by email: every kind is ticked until the person unticks it."""

    by_email = forms.MultipleChoiceField(
        label="Send me these by email",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Untick what you do not want by email. It still appears in your notifications here.",
    )

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["by_email"].choices = kinds

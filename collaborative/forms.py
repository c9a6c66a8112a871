from django import forms
from django.contrib.auth import get_user_model
from django.forms.renderers import TemplatesSetting
from django.utils import timezone
from django.utils.text import slugify

from organisations import text as bounded
from organisations.models import Organisation, Role
from organisations.widgets import DateInput

from .models import CoachingSession, Collaborative, Enrolment, Invoice, MeetingAction, TeamAsk, TeamMeeting


class NHSFormRenderer(TemplatesSetting):
    """Render every form and field with NHS.UK frontend markup (templates/forms/)."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def programme_staff(collaborative, role):
    return (
        get_user_model()
        .objects.filter(programme_roles__collaborative=collaborative, programme_roles__role=role)
        .order_by("first_name", "email")
        .distinct()
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class EnrolmentForm(forms.Form):
    """The national team enrols an organisation: new or existing, with its people."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        required=False,
        label="Existing organisation",
        help_text="Choose one, or leave empty and name a new organisation below.",
    )
    new_name = bounded.VisibleCharField(label="New organisation's name", max_length=200, required=False)
    new_kind = forms.ChoiceField(label="New organisation's type", choices=Organisation.Kind.choices, required=False)
    new_region = forms.ChoiceField(
        label="New organisation's NHS England region",
        choices=[("", "Not known yet"), *Organisation.Region.choices],
        required=False,
    )
    start_date = forms.DateField(label="Start date", widget=DateInput())
    lead_name = bounded.VisibleCharField(label="Project lead's name", max_length=200, required=False)
    lead_email = forms.EmailField(
        label="Project lead's email", required=False, help_text="They are sent an invitation to create their account."
    )
    sponsor_name = bounded.VisibleCharField(label="Executive sponsor's name", max_length=200, required=False)
    sponsor_email = forms.EmailField(label="Executive sponsor's email", required=False)
    coach = StaffChoiceField(queryset=get_user_model().objects.none(), required=False, label="QI coach")
    experts = StaffMultipleChoiceField(
        queryset=get_user_model().objects.none(), required=False, label="Experts", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, collaborative: Collaborative, **kwargs):
        super().__init__(*args, **kwargs)
        self.collaborative = collaborative
        self.fields["coach"].queryset = programme_staff(collaborative, Role.COACH)
        self.fields["experts"].queryset = programme_staff(collaborative, Role.EXPERT)

    def clean(self):
        cleaned = super().clean()
        organisation, new_name = cleaned.get("organisation"), (cleaned.get("new_name") or "").strip()
        if organisation and new_name:
            self.add_error("new_name", "Either choose an existing organisation or name a new one, not both.")
        elif not organisation and not new_name:
            self.add_error("organisation", "Choose an organisation, or name a new one below.")
        if (
            organisation
            and Enrolment.objects.with_scopes_disabled()
            .filter(collaborative=self.collaborative, organisation=organisation, active=True)
            .exists()
        ):
            self.add_error("organisation", f"{organisation} is already enrolled in {self.collaborative}.")
        if new_name and Organisation.objects.filter(name__iexact=new_name).exists():
            self.add_error("new_name", "An organisation with this name exists: choose it from the list instead.")
        if new_name and not cleaned.get("new_kind"):
            self.add_error("new_kind", "Choose the new organisation's type.")
        for who in ("lead", "sponsor"):
            if bool(cleaned.get(f"{who}_name")) != bool(cleaned.get(f"{who}_email")):
                self.add_error(f"{who}_email", "Give both the name and the email address, or neither for now.")
        start = cleaned.get("start_date")
        if start and start < self.collaborative.start_date:
            self.add_error(
                "start_date",
                f"The start date cannot be before the collaborative starts ({self.collaborative.start_date:%d %B %Y}).",
            )
        return cleaned

    def organisation_to_enrol(self) -> Organisation:
        data = self.cleaned_data
        if data["organisation"]:
            return data["organisation"]
        base = slugify(data["new_name"])[:50] or "organisation"
        slug, n = base, 1
        while Organisation.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return Organisation.objects.create(
            name=data["new_name"].strip(), slug=slug, kind=data["new_kind"], region=data.get("new_region", "")
        )


class NamedPeopleForm(forms.ModelForm):
    class Meta:
        model = Enrolment
        fields = ["lead_name", "lead_email", "sponsor_name", "sponsor_email"]

    def clean(self):
        cleaned = super().clean()
        for who in ("lead", "sponsor"):
            if bool(cleaned.get(f"{who}_name")) != bool(cleaned.get(f"{who}_email")):
                self.add_error(f"{who}_email", "Give both the name and the email address.")
        return cleaned


class AssignmentForm(forms.Form):
    coach = StaffChoiceField(queryset=get_user_model().objects.none(), required=False, label="QI coach")
    experts = StaffMultipleChoiceField(
        queryset=get_user_model().objects.none(), required=False, label="Experts", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, collaborative, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = programme_staff(collaborative, Role.COACH)
        self.fields["experts"].queryset = programme_staff(collaborative, Role.EXPERT)


class StartPhaseForm(forms.Form):
    on_date = forms.DateField(label="Start date", widget=DateInput(), initial=timezone.localdate)


class AdjustPhaseForm(forms.Form):
    new_end = forms.DateField(label="New planned end date", widget=DateInput())
    reason = bounded.VisibleCharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))


class GatePassForm(forms.Form):
    on_date = forms.DateField(label="Date the gate was passed", widget=DateInput(), initial=timezone.localdate)
    note = bounded.VisibleCharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TeamMeetingForm(forms.ModelForm):
    class Meta:
        model = TeamMeeting
        fields = ["date", "attendees", "notes"]
        widgets = {
            "date": DateInput(),
            "attendees": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 5}),
        }

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError("Record meetings that have happened: the date is in the future.")
        return day


class MeetingActionForm(forms.ModelForm):
    class Meta:
        model = MeetingAction
        fields = ["description", "owner", "due_on"]
        widgets = {"due_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each row's labels say which action they belong to, so a screen reader can tell the rows apart.
        n = int(self.prefix.rsplit("-", 1)[-1]) + 1 if self.prefix and self.prefix[-1].isdigit() else 1
        self.fields["description"].label = f"Action {n}"
        self.fields["owner"].label = f"Owner of action {n}"
        self.fields["due_on"].label = f"Due date of action {n}"


MeetingActionFormSet = forms.inlineformset_factory(
    TeamMeeting, MeetingAction, form=MeetingActionForm, extra=3, can_delete=False
)


class CoachingSessionForm(forms.ModelForm):
    class Meta:
        model = CoachingSession
        fields = ["date", "attendees", "notes", "agreed_actions"]
        widgets = {
            "date": DateInput(),
            "attendees": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 5}),
            "agreed_actions": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError("Record sessions that have happened: the date is in the future.")
        return day


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["reference", "issued_on", "due_on", "paid_on"]
        labels = {"issued_on": "Issued on", "due_on": "Due on", "paid_on": "Paid on", "reference": "Invoice reference"}
        widgets = {"issued_on": DateInput(), "due_on": DateInput(), "paid_on": DateInput()}


class CollaborativeForm(forms.ModelForm):
    vat_rate = forms.DecimalField(label="VAT rate (%)", min_value=0, max_value=100, decimal_places=2)
    annual_fee = forms.DecimalField(label="Annual fee, net of VAT (£)", min_value=0, decimal_places=2)

    class Meta:
        model = Collaborative
        fields = [
            "name",
            "start_date",
            "local_design_months",
            "testing_months",
            "sustaining_months",
            "fee_years",
            "monthly_data_due_day",
            "weekly_data_due_days",
            "quarterly_data_due_days",
            "data_due_time",
            "evaluation_names_allowed",
        ]
        labels = {
            "local_design_months": "Local design (months)",
            "testing_months": "Testing and scaling up (months)",
            "sustaining_months": "Sustaining (months)",
            "fee_years": "Years of fees",
            "monthly_data_due_day": "Monthly data due on day",
            "weekly_data_due_days": "Weekly data due, days after the week",
            "quarterly_data_due_days": "Quarterly data due, days after the quarter",
            "data_due_time": "Data due by (UK time)",
        }
        widgets = {
            "start_date": DateInput(),
            "data_due_time": TimeInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_rate"].initial = self.instance.vat_rate_basis_points / 100
        self.fields["annual_fee"].initial = self.instance.annual_fee_pence / 100

    def clean(self):
        cleaned = super().clean()
        for name in ("local_design_months", "testing_months", "sustaining_months"):
            if cleaned.get(name) == 0:
                self.add_error(name, "A phase lasts at least one month.")
        return cleaned

    def save(self, commit=True):
        self.instance.vat_rate_basis_points = int(self.cleaned_data["vat_rate"] * 100)
        self.instance.annual_fee_pence = int(self.cleaned_data["annual_fee"] * 100)
        return super().save(commit=commit)


class TeamAskForm(forms.ModelForm):
    """The team raises a risk or asks its executive sponsor for something."""

    class Meta:
        model = TeamAsk
        fields = ["kind", "text"]
        labels = {"kind": "Is it a risk or an ask?", "text": "Describe it"}
        help_texts = {
            "text": f"What could go wrong, or what you need from your sponsor. At most {TeamAsk.TEXT_MAX} characters."
        }
        widgets = {"kind": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "kind": {"required": "Choose whether this is a risk or an ask."},
            "text": {"max_length": "Use at most %(limit_value)d characters: this has %(show_value)d."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = TeamAsk.Kind.choices  # no empty choice among the radios
        self.fields["text"].error_messages["required"] = "Describe the risk or the ask."


class TeamAskAnswerForm(forms.ModelForm):
    """The executive sponsor answers a risk or an ask."""

    class Meta:
        model = TeamAsk
        fields = ["answer"]
        help_texts = {"answer": "What you will do, or who the team should speak to. At most 2,000 characters."}
        widgets = {"answer": forms.Textarea(attrs={"rows": 4})}
        error_messages = {"answer": {"max_length": "Use at most %(limit_value)d characters: this has %(show_value)d."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].required = True
        self.fields["answer"].error_messages["required"] = "Write your answer."

from __future__ import annotations

from datetime import date, time, timedelta

from django import forms
from django.utils import timezone

from measures.models import Measure
from organisations.widgets import DateInput
from qi_projects.pdsa import uploads  # the PDSA attachments' checks: content sniffed, size-limited

from . import scheduling
from .models import MAX_CAPACITY, PAGE_KEYS, CaseStudy, Format, Resource, Step

YEARS_AHEAD = 5
TIME_FORMATS = ["%H:%M", "%H.%M", "%H:%M:%S"]


def text_area(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# NHS.UK radios, checkboxes and date input: the project's own widget templates
# (templates/django/forms/widgets/, organisations/widgets.DateInput), as every app uses them.
RadioSelect = forms.RadioSelect
CheckboxSelectMultiple = forms.CheckboxSelectMultiple


class DateField(forms.DateField):
    """A date typed in the NHS.UK day, month and year boxes."""

    widget = DateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "For example, 12 3 2027")
        super().__init__(**kwargs)
        self.error_messages["required"] = "Enter the date."
        self.error_messages["invalid"] = "Enter a real date, for example 12 3 2027."


class TimeField(forms.TimeField):
    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", TIME_FORMATS)
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "nhsuk-input--width-5", "autocomplete": "off"}))
        super().__init__(**kwargs)
        self.error_messages["invalid"] = "Enter a time on the 24-hour clock, for example 10:00 or 14:30."


class TimingForm(forms.Form):
    """A date and start and end times in London, checked and turned into UTC `starts_at` and `ends_at`."""

    date = DateField(label="Date")
    start_time = TimeField(label="Start time", help_text="UK time, 24-hour clock, for example 10:00")
    end_time = TimeField(label="End time", help_text="For example 15:30")

    def __init__(self, *args, keep_start=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep_start = keep_start  # an existing set's start may stay where it is, even if past
        self.notes: list[str] = []

    def clean(self):
        cleaned = super().clean()
        day, start, end = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("end_time")
        if day is None or start is None or end is None:
            return cleaned
        starts_at = self._utc("start_time", day, start)
        ends_at = self._utc("end_time", day, end)
        if starts_at is None or ends_at is None:
            return cleaned
        if ends_at <= starts_at:
            self.add_error("end_time", "The end time must be after the start time.")
        self._check_bounds(day, starts_at)
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        return cleaned

    def _utc(self, name, day, at):
        try:
            moment = scheduling.london_to_utc(day, at)
        except scheduling.NonexistentTime as e:
            self.add_error(name, str(e))
            return None
        if scheduling.is_ambiguous(day, at):
            self.notes.append(
                f"{at:%H:%M} on {day.day} {day:%B %Y} happens twice in London (the clocks go back): "
                "it is taken as the first, in British Summer Time (UTC+1)."
            )
        return moment

    def _check_bounds(self, day, starts_at):
        today = timezone.localdate()
        if day > today + timedelta(days=365 * YEARS_AHEAD):
            self.add_error("date", f"A learning set can be at most {YEARS_AHEAD} years ahead.")
        elif starts_at <= timezone.now() and starts_at != self.keep_start:
            self.add_error("date", "This date and time have passed: a learning set must be in the future.")


class DetailsForm(TimingForm):
    """Title, format and place: what a learning set needs besides its time."""

    title = forms.CharField(label="Title", max_length=200)
    format = forms.ChoiceField(label="Format", choices=Format.choices, widget=RadioSelect, initial=Format.ONLINE)
    joining_link = forms.URLField(
        label="Joining link", max_length=500, required=False, help_text="For online and hybrid sets: the meeting link"
    )
    venue = forms.CharField(label="Venue", max_length=200, required=False, help_text="For in-person and hybrid sets")
    address = forms.CharField(label="Address", max_length=500, required=False, widget=text_area(3))
    capacity = forms.IntegerField(
        label="Capacity",
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=f"How many places, from 1 to {MAX_CAPACITY:,}. When they are taken, people join a waiting list.",
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-5"}),
    )

    field_order = ["title", "date", "start_time", "end_time", "format", "joining_link", "venue", "address", "capacity"]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("format")
        if kind in (Format.ONLINE, Format.HYBRID) and not cleaned.get("joining_link"):
            self.add_error("joining_link", "Give the joining link: an online or hybrid set needs one.")
        if kind in (Format.IN_PERSON, Format.HYBRID):
            if not (cleaned.get("venue") or "").strip():
                self.add_error("venue", "Give the venue: an in-person or hybrid set needs one.")
            if not (cleaned.get("address") or "").strip():
                self.add_error("address", "Give the venue's address.")
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        names = ("title", "starts_at", "ends_at", "format", "joining_link", "venue", "address", "capacity")
        return {name: data[name] for name in names}


class LearningSetForm(DetailsForm):
    description = forms.CharField(label="What it is about", max_length=3000, required=False, widget=text_area(5))

    field_order = [*DetailsForm.field_order, "description"]

    @classmethod
    def initial_for(cls, learning_set) -> dict:
        start, end = learning_set.local_start, learning_set.local_end
        return {
            "title": learning_set.title,
            "date": start.date(),
            "start_time": start.strftime("%H:%M"),
            "end_time": end.strftime("%H:%M"),
            "format": learning_set.format,
            "joining_link": learning_set.joining_link,
            "venue": learning_set.venue,
            "address": learning_set.address,
            "capacity": learning_set.capacity,
            "description": learning_set.description,
        }

    def values(self) -> dict:
        return super().values() | {"description": self.cleaned_data["description"]}


class RescheduleForm(TimingForm):
    message = forms.CharField(
        label="Message to everyone registered",
        max_length=500,
        required=False,
        widget=text_area(3),
        help_text="Optional: why it moved. It goes with the updated calendar invitation.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=500, widget=text_area(3), help_text="Sent to everyone registered."
    )


class YearForm(forms.Form):
    """Which year to schedule and on which weekday: read from the query string."""

    year = forms.TypedChoiceField(label="Year", coerce=int)
    weekday = forms.TypedChoiceField(
        label="Preferred weekday",
        coerce=int,
        choices=[(i, name) for i, name in enumerate(scheduling.WEEKDAYS[:5])],
        widget=RadioSelect,
        initial=2,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, str(y)) for y in range(this_year, this_year + YEARS_AHEAD)]
        self.fields["year"].initial = this_year + 1


class YearSetForm(DetailsForm):
    """One of the four sets on the 'schedule a year' page; labels name the set, so each is told apart."""

    def __init__(self, *args, number: int, **kwargs):
        super().__init__(*args, prefix=f"set{number}", **kwargs)
        self.number = number
        for field in self.fields.values():
            field.label = f"{field.label} of learning set {number}"


def year_initial(year: int, day: date, number: int) -> dict:
    season = ("winter", "spring", "summer", "autumn")[number - 1]
    return {
        "title": f"Learning set {number} of {year}: {season}",
        "date": day,
        "start_time": time(10, 0).strftime("%H:%M"),
        "end_time": time(15, 30).strftime("%H:%M"),
        "format": Format.ONLINE,
        "capacity": 150,
    }


class AgendaItemForm(forms.Form):
    start_time = TimeField(label="Start")
    end_time = TimeField(label="End")
    title = forms.CharField(label="Session", max_length=200)
    presenting_organisation = forms.ModelChoiceField(
        label="Presenting organisation", queryset=None, required=False, empty_label="None (the national team)"
    )
    speakers = forms.CharField(label="Speakers", max_length=300, required=False)

    def __init__(self, *args, organisations=None, learning_set=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.learning_set = learning_set
        self.fields["presenting_organisation"].queryset = organisations
        n = int(self.prefix.rsplit("-", 1)[-1]) + 1 if self.prefix and self.prefix[-1].isdigit() else 1
        for name, field in self.fields.items():
            field.label = f"{field.label} of session {n}" if name != "title" else f"Session {n}"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start is None or end is None or self.learning_set is None:
            return cleaned
        day = self.learning_set.local_start.date()
        try:
            starts_at, ends_at = scheduling.london_to_utc(day, start), scheduling.london_to_utc(day, end)
        except scheduling.NonexistentTime as e:
            raise forms.ValidationError(str(e)) from e
        if ends_at <= starts_at:
            self.add_error("end_time", "A session must end after it starts.")
        elif starts_at < self.learning_set.starts_at or ends_at > self.learning_set.ends_at:
            ls = self.learning_set
            self.add_error(
                "start_time",
                f"Sessions fall within the learning set, {ls.local_start:%H:%M} to {ls.local_end:%H:%M}.",
            )
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        return cleaned


class BaseAgendaFormSet(forms.BaseFormSet):
    def __init__(self, *args, organisations=None, learning_set=None, **kwargs):
        self.organisations, self.learning_set = organisations, learning_set
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"organisations": self.organisations, "learning_set": self.learning_set}


AgendaFormSet = forms.formset_factory(
    AgendaItemForm, formset=BaseAgendaFormSet, extra=3, max_num=30, validate_max=True, can_delete=True
)


class RegistrationForm(forms.Form):
    organisation = forms.TypedChoiceField(label="Which organisation are you coming for?", coerce=int, required=False)
    needs = forms.CharField(
        label="Access or dietary needs (optional)",
        max_length=500,
        required=False,
        widget=text_area(3),
        help_text="Only the national team sees this.",
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(o.pk, o.name) for o in organisations]
        self.fields["organisation"].choices = choices
        if len(choices) < 2:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].required = True
            self.fields["organisation"].widget = RadioSelect(choices=choices)

    def organisation_id(self, organisations) -> int | None:
        if "organisation" in self.fields:
            return self.cleaned_data["organisation"]
        return organisations[0].pk if organisations else None


class UploadCheckMixin:
    upload_field = "file"

    def check_upload(self, upload):
        # Check the size before reading anything.
        if upload.size > uploads.MAX_BYTES:
            raise forms.ValidationError(
                f"“{upload.name}” is {upload.size / 1024 / 1024:.1f} MB: files can be 10 MB at most."
            )
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        try:
            self.sniffed = uploads.check(upload.name, upload.size, data)
        except uploads.Refused as e:
            raise forms.ValidationError(str(e)) from e
        return upload


class MaterialForm(UploadCheckMixin, forms.Form):
    title = forms.CharField(label="Title", max_length=200, help_text="For example, Slides: Northshire's crisis line")
    file = forms.FileField(label="File", help_text=f"{uploads.ALLOWED_DESCRIPTION}; 10 MB at most.")
    share_before = forms.BooleanField(
        label="Share it before the learning set (pre-reading)",
        required=False,
        help_text="Otherwise members can download it once the learning set starts.",
    )

    def clean_file(self):
        return self.check_upload(self.cleaned_data["file"])


USEFULNESS = [(5, "5: very useful"), (4, "4"), (3, "3"), (2, "2"), (1, "1: not useful")]


class FeedbackForm(forms.Form):
    usefulness = forms.TypedChoiceField(
        label="How useful was this learning set?", choices=USEFULNESS, coerce=int, widget=RadioSelect
    )
    helped = forms.CharField(label="What helped?", max_length=2000, required=False, widget=text_area(3))
    did_not_help = forms.CharField(label="What did not help?", max_length=2000, required=False, widget=text_area(3))
    change = forms.CharField(
        label="What should we change for the next one?", max_length=2000, required=False, widget=text_area(3)
    )


class NewsletterForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=200)
    body = forms.CharField(
        label="Newsletter",
        max_length=20000,
        widget=text_area(16),
        help_text="Markdown: ## for a heading, **bold**, *italic*, [link text](https://…), - for a list.",
    )


class CaseStudyForm(forms.ModelForm):
    measures = forms.ModelMultipleChoiceField(
        label="Measure charts to include",
        queryset=Measure.objects.none(),
        required=False,
        widget=CheckboxSelectMultiple,
        help_text="Their charts appear with the case study; outside your organisation small numbers are suppressed.",
    )

    class Meta:
        model = CaseStudy
        fields = ["title", "summary", "what_changed", "measures", "consent_to_publish"]
        labels = {
            "consent_to_publish": "We consent to this case study being published beyond the collaborative",
        }
        help_texts = {
            "summary": "In a few sentences: who, what and the difference it made.",
            "what_changed": "What you changed, what happened, what you learned.",
            "consent_to_publish": "The national team's communications team may then use it in newsletters, "
            "reports and on the web.",
        }
        widgets = {
            "summary": text_area(3),
            "what_changed": text_area(8),
        }

    def __init__(self, *args, measures=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measures"].queryset = measures
        self.fields["measures"].label_from_instance = lambda m: f"{m.code} {m.name}"


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("approve", "Approve it for the gallery"), ("changes", "Ask for changes")],
        widget=RadioSelect,
    )
    note = forms.CharField(
        label="Note to the organisation",
        max_length=2000,
        required=False,
        widget=text_area(4),
        help_text="Needed when you ask for changes: say what to change.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "changes" and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Say what to change, so that the organisation knows.")
        return cleaned


class ResourceForm(UploadCheckMixin, forms.ModelForm):
    upload = forms.FileField(
        label="Document", required=False, help_text=f"{uploads.ALLOWED_DESCRIPTION}; 10 MB at most."
    )
    pages = forms.MultipleChoiceField(
        label="Link it from these pages", choices=PAGE_KEYS, required=False, widget=CheckboxSelectMultiple
    )

    class Meta:
        model = Resource
        fields = ["title", "summary", "category", "step", "phase", "url", "published"]
        labels = {"url": "Link", "published": "Show it in the library"}
        help_texts = {"url": "A web address, or upload a document below."}
        widgets = {
            "summary": text_area(3),
            "category": RadioSelect,
            "step": RadioSelect,
            "phase": RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sniffed = None
        if self.instance.pk:
            self.fields["pages"].initial = list(self.instance.pages.values_list("page", flat=True))

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        return self.check_upload(upload) if upload else None

    def clean(self):
        cleaned = super().clean()
        has_file = cleaned.get("upload") or (self.instance.pk and self.instance.file)
        if not cleaned.get("url") and not has_file:
            self.add_error("url", "Give a link or upload a document.")
        return cleaned


class ResourceSearchForm(forms.Form):
    q = forms.CharField(label="Search the library", max_length=100, required=False)
    step = forms.ChoiceField(label="AMHE step", choices=[("", "Any step"), *Step.choices], required=False)
    category = forms.ChoiceField(
        label="Kind of guidance", choices=[("", "Any kind"), *Resource.Category.choices], required=False
    )

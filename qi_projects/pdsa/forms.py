"""Forms for PDSA cycles, change idea lifecycle moves, attachments and the progress score.

The stage rules live on the model (PdsaCycle.record_do, record_study, complete);
these forms collect and tidy the fields and show the model's messages beside them.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from collaborative.forms import DateInput
from measures.models import Measure
from organisations import text as bounded
from qi_projects.forms import Radios
from qi_projects.models import STAGE_MOVES, ChangeTheoryElement, Kind, Stage

from . import scoring, uploads
from .models import Comment, PdsaCycle


class ChangeIdeaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.text


class MeasureChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


def change_ideas_of(organisation):
    return (
        ChangeTheoryElement.objects.filter(organisation=organisation, kind=Kind.CHANGE_IDEA, removed_at=None)
        .select_related("diagram__project")
        .order_by("diagram__project__title", "position", "pk")
    )


def text_area(rows=3):
    return forms.Textarea(attrs={"rows": rows})


PLAN_WIDGETS = {
    "objective": forms.TextInput(attrs={"autocomplete": "off"}),
    "prediction": text_area(),
    "questions": text_area(2),
    "data_collection": text_area(2),
    "planned_start": DateInput(),
    "planned_end": DateInput(),
}
PLAN_FIELDS = ["objective", "prediction", "planned_start", "planned_end", "questions", "who", "where"]


class CycleForm(forms.ModelForm):
    """The quick log: a change idea, the objective, a prediction and dates; the rest of the plan is optional."""

    change_idea = ChangeIdeaChoice(queryset=ChangeTheoryElement.objects.none(), label="Change idea being tested")
    measures = MeasureChoices(
        queryset=Measure.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Which measure will show this?",
        help_text="Tick the measures this cycle should move: its start is marked, numbered, on their charts.",
    )

    class Meta:
        model = PdsaCycle
        fields = ["change_idea", *PLAN_FIELDS, "data_collection", "measures"]
        widgets = PLAN_WIDGETS
        labels = {"objective": "Objective", "prediction": "Prediction: what do you expect to happen?"}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        ideas = list(change_ideas_of(organisation))
        projects = {i.diagram.project_id for i in ideas}
        self.fields["change_idea"].queryset = change_ideas_of(organisation)
        if len(projects) > 1:
            self.fields["change_idea"].label_from_instance = lambda i: f"{i.text} ({i.diagram.project.title})"
        self.fields["change_idea"].empty_label = "Choose a change idea"
        self.fields["measures"].queryset = Measure.objects.filter(organisation=organisation).order_by("code")
        if not ideas:
            self.fields["change_idea"].help_text = "Add change ideas to your change theory first."
        required_messages = {
            "change_idea": "Choose the change idea this cycle tests.",
            "objective": "Say what this cycle tests: the objective.",
            "prediction": "Write your prediction before the test: what do you expect to happen?",
            "planned_start": "Give the planned start date.",
            "planned_end": "Give the planned end date.",
        }
        for name, message in required_messages.items():
            self.fields[name].error_messages["required"] = message

    def clean(self):
        cleaned = super().clean()
        idea, measures = cleaned.get("change_idea"), cleaned.get("measures")
        if idea and measures:
            stray = [m.code for m in measures if m.project_id != idea.diagram.project_id]
            if stray:
                self.add_error(
                    "measures", f"{', '.join(stray)} belong to another project than the change idea: untick them."
                )
        return cleaned

    def _post_clean(self):
        # PdsaCycle.log() sets the organisation and number; check what the model can check now.
        self.instance.organisation = self.organisation
        super()._post_clean()


class PlanForm(forms.ModelForm):
    """Editing a cycle's plan. The prediction is frozen once Do starts (the model refuses a change)."""

    measures = MeasureChoices(
        queryset=Measure.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Measures this cycle touches",
    )

    class Meta:
        model = PdsaCycle
        fields = [*PLAN_FIELDS, "data_collection", "measures"]
        widgets = PLAN_WIDGETS
        labels = {"prediction": "Prediction: what do you expect to happen?"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measures"].queryset = Measure.objects.filter(project_id=self.instance.project_id).order_by("code")
        if self.instance.prediction_frozen:
            field = self.fields["prediction"]
            field.widget.attrs["readonly"] = True
            field.help_text = "Frozen: it was recorded before the test and cannot change once Do has started."


class DoForm(forms.Form):
    actual_start = forms.DateField(
        label="Actual start",
        widget=DateInput(),
        error_messages={"required": "Give the date the test actually started."},
    )
    actual_end = forms.DateField(
        label="Actual end", widget=DateInput(), required=False, help_text="Leave empty while the test is running."
    )
    what_was_done = bounded.VisibleCharField(label="What was done", widget=text_area(), required=False)
    what_happened = bounded.VisibleCharField(label="What happened", widget=text_area(), required=False)
    problems = bounded.VisibleCharField(
        label="Problems and unexpected observations", widget=text_area(), required=False
    )


class StudyForm(forms.Form):
    results = bounded.VisibleCharField(
        label="Results compared with the prediction",
        widget=text_area(4),
        required=False,
        help_text="What happened against what you predicted, with the data.",
    )
    learning = bounded.VisibleCharField(label="What we learned", widget=text_area(), required=False)


class ActForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=PdsaCycle.Decision.choices,
        widget=Radios,
        required=False,
        help_text="Adopt the change as it is, adapt it and test again, or abandon it.",
    )
    next_step = bounded.VisibleCharField(label="Next step", widget=text_area(), required=False)
    move_idea = forms.BooleanField(
        required=False,
        initial=True,
        label="Also move the change idea on to match the decision, with this cycle as the evidence",
        help_text="Adopt moves it to Adopted, Abandon to Abandoned; Adapt keeps it in Testing.",
    )

    def __init__(self, *args, idea=None, **kwargs):
        super().__init__(*args, **kwargs)
        if idea is not None:
            self.fields[
                "move_idea"
            ].label = f"Also move “{idea.text}” on to match the decision, with this cycle as the evidence"
            self.fields["move_idea"].help_text = (
                f"It is at the {idea.get_stage_display().lower()} stage now. Adopt moves it to Adopted, "
                "Abandon to Abandoned; Adapt keeps it in Testing."
            )


# Where an Act decision moves the change idea it tested.
DECISION_STAGES = {"adopt": Stage.ADOPTED, "adapt": Stage.TESTING, "abandon": Stage.ABANDONED}


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Attach a file",
        help_text=f"{uploads.ALLOWED_DESCRIPTION}; 10 MB at most.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Check the size before reading anything.
        if upload.size > uploads.MAX_BYTES:
            raise forms.ValidationError(
                f"“{upload.name}” is {upload.size / 1024 / 1024:.1f} MB: attachments can be 10 MB at most."
            )
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        try:
            self.sniffed = uploads.check(upload.name, upload.size, data)
        except uploads.Refused as e:
            raise forms.ValidationError(str(e)) from e
        return upload


class MoveForm(forms.Form):
    stage = forms.ChoiceField(label="Move to", widget=Radios)
    evidence = bounded.VisibleCharField(
        label="Evidence for the move",
        widget=text_area(4),
        required=False,
        help_text="What the cycles showed and which measures moved.",
    )
    cycles = forms.ModelMultipleChoiceField(
        queryset=PdsaCycle.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Cycles that justify it",
    )
    measures = MeasureChoices(
        queryset=Measure.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Measures that show a signal",
    )
    spreading_to = bounded.VisibleCharField(
        label="Spreading to (teams or sites)", widget=text_area(2), required=False, help_text="For spreading only."
    )
    spread_target = bounded.VisibleCharField(
        label="Spread target", max_length=200, required=False, help_text="For example all 6 teams by March 2027."
    )

    def __init__(self, *args, idea, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s, Stage(s).label) for s in STAGE_MOVES[idea.stage]]
        self.fields["cycles"].queryset = idea.pdsa_cycles.order_by("number")
        self.fields["cycles"].label_from_instance = lambda c: (
            f"Cycle {c.number}: {c.objective} ({c.get_status_display()})"
        )
        self.fields["measures"].queryset = Measure.objects.filter(project_id=idea.diagram.project_id).order_by("code")


SCORE_CHOICES = [(str(score), f"{score} {label}") for score, label in scoring.SCALE.items()]


class ScoreForm(forms.Form):
    score = forms.TypedChoiceField(label="Progress score", choices=SCORE_CHOICES, coerce=Decimal)
    reason = bounded.VisibleCharField(
        label="Why the suggestion is not right",
        widget=text_area(3),
        help_text="Recorded with your name and the date, next to the suggestion.",
    )


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}

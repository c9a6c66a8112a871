"""The approach feedback survey for one member: which round is open, their answer, the form, the reminders.

A member is anyone with a team role in an organisation actively enrolled in a
collaborative (`access` action `give_approach_feedback`); their survey is that
collaborative's (the earliest-started one when there are several).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django import forms
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from collaborative.models import Collaborative, Enrolment
from organisations import access
from organisations.clock import london, london_date
from organisations.deliveries import Due, in_window
from organisations.models import TEAM_ROLES, Membership

from .models.feedback import PARTS, ApproachFeedback, Rating, Round, open_round, round_at
from .words import in_sentence

REMINDER_AT = time(9, 0)  # UK time, on the day a round opens and a fortnight before it closes
LAST_CALL_DAYS = 14


@dataclass
class Member:
    collaborative: Collaborative
    organisation_id: int
    round: Round | None
    answer: ApproachFeedback | None

    @property
    def next_round(self) -> Round:
        number = self.round.number + 1 if self.round else 1
        while (r := round_at(self.collaborative.start_date, number)).closes_on < timezone.localdate():
            number += 1
        return r


def member(user, today=None) -> Member | None:
    """The user's survey now: their collaborative, organisation, the open round and their answer to it."""
    today = today or timezone.localdate()
    with scopes_disabled():
        membership = (
            Membership.objects.filter(user=user, role__in=TEAM_ROLES, organisation__enrolments__active=True)
            .values_list("organisation_id", "organisation__enrolments__collaborative_id")
            .order_by("organisation__enrolments__start_date", "pk")
            .first()
        )
        if membership is None:
            return None
        organisation_id, collaborative_id = membership
        collaborative = Collaborative.objects.get(pk=collaborative_id)
        current = open_round(collaborative.start_date, today)
        answer = None
        if current is not None:
            answer = ApproachFeedback.objects.filter(
                collaborative=collaborative, round_number=current.number, user=user
            ).first()
    return Member(collaborative, organisation_id, current, answer)


def waiting(user, today=None) -> Round | None:
    """The open round the user has not answered yet, else None: one query, two while a round is open."""
    today = today or timezone.localdate()
    with scopes_disabled():
        row = (
            Membership.objects.filter(user=user, role__in=TEAM_ROLES, organisation__enrolments__active=True)
            .values_list(
                "organisation__enrolments__collaborative_id", "organisation__enrolments__collaborative__start_date"
            )
            .order_by("organisation__enrolments__start_date", "pk")
            .first()
        )
        current = open_round(row[1], today) if row else None
        if current is None:
            return None
        answered = ApproachFeedback.objects.filter(collaborative_id=row[0], round_number=current.number, user=user)
        return None if answered.exists() else current


def workspace_notices(user, organisation, today) -> list[dict]:
    """Registered as the `approach_feedback` workspace notice: the open round, while the user has not answered."""
    if not access.can(user, "give_approach_feedback"):
        return []
    current = waiting(user, today)
    if current is None:
        return []
    return [
        {
            "text": f"The approach feedback survey is open until {current.closes_on:%-d %B %Y}: "
            "tell us how helpful each part of the programme has been.",
            "link": "Answer the survey",
            "url": reverse("evaluation:feedback"),
        }
    ]


RATING_CHOICES = [(str(value), label) for value, label in Rating.choices]


class ApproachFeedbackForm(forms.ModelForm):
    class Meta:
        model = ApproachFeedback
        fields = [name for name, _ in PARTS] + ["helped", "did_not_help"]
        widgets = {name: forms.RadioSelect for name, _ in PARTS} | {
            "helped": forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
            "did_not_help": forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in PARTS:
            field = self.fields[name]
            field.label = f"How helpful has this been: {in_sentence(label) if name != 'platform' else label}?"
            field.choices = Rating.choices
            field.error_messages["required"] = f"Choose how helpful {in_sentence(label)} has been, or “Not used”."
        self.fields["helped"].help_text = "Optional. Please leave out names of people and organisations."
        self.fields["did_not_help"].help_text = "Optional. Please leave out names of people and organisations."


def save(form: ApproachFeedbackForm, user, found: Member) -> ApproachFeedback:
    """Record the user's answer to the open round, or change the one they gave (until the round closes)."""
    answer = form.save(commit=False)
    now = timezone.now()
    if answer.pk is None:
        answer.collaborative = found.collaborative
        answer.round_number = found.round.number
        answer.organisation_id = found.organisation_id
        answer.user = user
        answer.submitted_at = now
    answer.updated_at = now
    answer.save()
    return answer


# --- Reminders: the day a round opens, and a fortnight before it closes, to members who have not answered --


def _instants(r: Round) -> list[tuple[str, datetime]]:
    last_call = r.closes_on - timedelta(days=LAST_CALL_DAYS - 1)
    return [("opens", london(r.opens_on, REMINDER_AT)), ("last_call", london(last_call, REMINDER_AT))]


def reminders(now: datetime) -> list[Due]:
    """Registered as the `approach_feedback` reminder source: a fixed number of queries whatever the members."""
    found = []
    today = london_date(now)
    url = reverse("evaluation:feedback")
    with scopes_disabled():
        collaboratives = Collaborative.objects.filter(enrolments__active=True).distinct()
        for collaborative in collaboratives:
            current = open_round(collaborative.start_date, today)
            due = [(name, at) for name, at in _instants(current) if in_window(at, now)] if current else []
            if not due:
                continue
            answered = ApproachFeedback.objects.filter(collaborative=collaborative, round_number=current.number)
            members = (
                Membership.objects.filter(
                    role__in=TEAM_ROLES,
                    user__is_active=True,
                    organisation__in=Enrolment.objects.filter(collaborative=collaborative, active=True).values(
                        "organisation"
                    ),
                )
                .exclude(user__in=answered.values("user"))
                .values_list("user_id", "organisation_id")
                .order_by("user_id", "organisation_id")
            )
            seen = {}
            for user_id, organisation_id in members:
                seen.setdefault(user_id, organisation_id)
            for name, at in due:
                for user_id, organisation_id in seen.items():
                    found.append(
                        Due(
                            recipient_id=user_id,
                            kind="approach_feedback",
                            about=(Collaborative, collaborative.pk),
                            occasion=f"approach-feedback:{current.number}:{name}",
                            due_at=at,
                            subject=f"How helpful has the programme been? Approach feedback, round {current.number}",
                            text=(
                                f"Tell us how helpful each part of the programme's approach has been over the last "
                                f"six months. Eight questions; the survey is open until {current.closes_on:%-d %B %Y}."
                            ),
                            url=url,
                            organisation_id=organisation_id,
                        )
                    )
    return found

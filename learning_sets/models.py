"""Learning sets and the learning between them.

A learning set belongs to a collaborative (not to a tenant): every member of
the collaborative's organisations may come. Registrations, feedback, calendar
feeds, deliveries and preferences belong to a person, like notifications: not
tenant-scoped, every query filters by the person or by a learning set of the
collaborative. Case studies belong to an organisation and carry the tenant's
ScopedManager.

Every change to a set's places happens with the set's row locked
(`select_for_update`), so two cancellations at once promote two people from the
waiting list, never one twice and never beyond capacity. Every email is a
`Delivery` row claimed with a conditional update before it is sent, so a
retried task sends nothing twice.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django_scopes import ScopedManager

from . import scheduling

MAX_CAPACITY = 1000
# What changes the calendar event: a change to any of these sends everyone registered an update.
SIGNIFICANT_FIELDS = {"title", "starts_at", "ends_at", "format", "joining_link", "venue", "address"}


class Refused(ValueError):
    """The change was not made; the message says why in plain words."""


class Format(models.TextChoices):
    ONLINE = "online", "Online"
    IN_PERSON = "in_person", "In person"
    HYBRID = "hybrid", "Hybrid (in person and online)"


class LearningSetQuerySet(models.QuerySet):
    def visible_to(self, collaborative_ids, national_ids):
        """Published and cancelled sets of the person's collaboratives; drafts too where they are national team."""
        return self.filter(
            Q(
                collaborative_id__in=collaborative_ids,
                status__in=[LearningSet.Status.PUBLISHED, LearningSet.Status.CANCELLED],
            )
            | Q(collaborative_id__in=national_ids)
        )

    def with_places(self):
        """Annotate `taken` (places) and `waiting` in the same query, whatever the number of sets."""

        def count(status):
            rows = (
                Registration.objects.filter(learning_set=OuterRef("pk"), status=status)
                .order_by()
                .values("learning_set")
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(rows[:1]), 0)

        return self.annotate(taken=count(Registration.Status.REGISTERED), waiting=count(Registration.Status.WAITING))

    def with_person(self, user):
        """Annotate the person's own registration status and attendance, and whether they gave feedback."""
        mine = Registration.objects.filter(learning_set=OuterRef("pk"), user=user)
        return self.annotate(
            my_status=Subquery(mine.values("status")[:1]),
            my_attended=Subquery(mine.values("attended")[:1]),
            my_feedback=Exists(Feedback.objects.filter(learning_set=OuterRef("pk"), user=user)),
        )


def _uid() -> str:
    return f"learning-set-{uuid.uuid4()}@amhe-collaborative"


class LearningSet(models.Model):
    """One learning set: when (stored in UTC, shown in London), where, how many, what."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CANCELLED = "cancelled", "Cancelled"

    collaborative = models.ForeignKey(
        "collaborative.Collaborative", on_delete=models.CASCADE, related_name="learning_sets"
    )
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    format = models.CharField(max_length=20, choices=Format.choices, default=Format.ONLINE)
    joining_link = models.URLField("Joining link", max_length=500, blank=True)
    venue = models.CharField(max_length=200, blank=True)
    address = models.TextField(max_length=500, blank=True)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)])
    description = models.TextField(max_length=3000, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The calendar event's identity: the same UID for ever, SEQUENCE raised by every change sent out.
    uid = models.CharField(max_length=100, unique=True, default=_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)

    objects = LearningSetQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="learning_set_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=MAX_CAPACITY), name="learning_set_capacity_in_range"
            ),
        ]
        indexes = [models.Index(fields=["collaborative", "starts_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("learning_sets:detail", args=[self.pk])

    @property
    def local_start(self):
        return scheduling.to_london(self.starts_at)

    @property
    def local_end(self):
        return scheduling.to_london(self.ends_at)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    def has_started(self, now=None) -> bool:
        return self.starts_at <= (now or timezone.now())

    def has_ended(self, now=None) -> bool:
        return self.ends_at <= (now or timezone.now())

    @property
    def location(self) -> str:
        """Where it happens, in one line, as a calendar's LOCATION."""
        place = ", ".join(p for p in [self.venue, " ".join(self.address.split())] if p)
        if self.format == Format.ONLINE:
            return self.joining_link or "Online"
        if self.format == Format.HYBRID:
            return f"{place} and online" if place else "Online and in person"
        return place

    # --- Places: every change locks the set's row first -------------------------------

    def _locked(self) -> LearningSet:
        return LearningSet.objects.select_for_update().get(pk=self.pk)

    def _refresh(self, locked: LearningSet) -> None:
        for name in ("status", "sequence", "capacity", "starts_at", "ends_at", "cancelled_at", "published_at"):
            setattr(self, name, getattr(locked, name))

    def register(self, user, *, organisation_id=None, needs: str = "") -> Registration:
        """A place if one is free, otherwise the waiting list (not an error). Refused when already on either."""
        from django.db import IntegrityError

        try:
            with transaction.atomic():
                locked = self._locked()
                if locked.status != self.Status.PUBLISHED:
                    raise Refused("This learning set is not open for registration.")
                if locked.has_started():
                    raise Refused("This learning set has already started: registration has closed.")
                registration = Registration.objects.select_for_update().filter(learning_set=locked, user=user).first()
                if registration is not None and registration.is_active:
                    raise Refused(
                        "You are already registered for this learning set."
                        if registration.status == Registration.Status.REGISTERED
                        else "You are already on the waiting list for this learning set."
                    )
                taken = locked.registrations.filter(status=Registration.Status.REGISTERED).count()
                status = Registration.Status.REGISTERED if taken < locked.capacity else Registration.Status.WAITING
                registration = registration or Registration(learning_set=locked, user=user)
                registration.status, registration.organisation_id, registration.needs = status, organisation_id, needs
                registration.queued_at, registration.cancelled_at, registration.attended = timezone.now(), None, None
                registration.save()
                kind = Delivery.Kind.INVITATION if status == Registration.Status.REGISTERED else Delivery.Kind.WAITING
                Delivery.queue(kind, user.pk, learning_set=locked)
        except IntegrityError as e:  # a second click at the same moment (SQLite has no row locks)
            raise Refused("You are already registered for this learning set.") from e
        return registration

    def withdraw(self, user) -> list[Registration]:
        """Give up a place (or leave the waiting list); a freed place goes to the first waiting. Returns them."""
        with transaction.atomic():
            locked = self._locked()
            registration = Registration.objects.select_for_update().filter(learning_set=locked, user=user).first()
            if registration is None or not registration.is_active:
                raise Refused("You are not registered for this learning set.")
            if locked.has_started():
                raise Refused("This learning set has already started: there is nothing to cancel.")
            had_place = registration.status == Registration.Status.REGISTERED
            registration.status, registration.cancelled_at = Registration.Status.CANCELLED, timezone.now()
            registration.save(update_fields=["status", "cancelled_at"])
            promoted = []
            if had_place:
                # A cancellation is a change to the person's event: a higher SEQUENCE, so calendars accept it.
                locked.sequence += 1
                locked.save(update_fields=["sequence"])
                Delivery.queue(Delivery.Kind.WITHDRAWAL, user.pk, learning_set=locked)
                promoted = locked.fill_places()
            self._refresh(locked)
        return promoted

    def fill_places(self) -> list[Registration]:
        """Give free places to the first on the waiting list and tell them. Call with the set locked."""
        from organisations.notifications import notify

        if self.status != self.Status.PUBLISHED or self.has_started():
            return []
        free = self.capacity - self.registrations.filter(status=Registration.Status.REGISTERED).count()
        if free <= 0:
            return []
        promoted = list(
            Registration.objects.select_for_update()
            .filter(learning_set=self, status=Registration.Status.WAITING)
            .select_related("user")
            .order_by("queued_at", "pk")[:free]
        )
        for registration in promoted:
            registration.status = Registration.Status.REGISTERED
            registration.save(update_fields=["status"])
            Delivery.queue(Delivery.Kind.INVITATION, registration.user_id, learning_set=self, note="promoted")
            notify(
                registration.user,
                f"learning_set_place:{self.sequence}",
                self,
                f"A place came free at {self.title} and it is yours.",
                self.get_absolute_url(),
                organisation=registration.organisation_id,
            )
        return promoted

    # --- The national team's changes ----------------------------------------------------

    def publish(self) -> None:
        with transaction.atomic():
            locked = self._locked()
            if locked.status != self.Status.DRAFT:
                raise Refused("Only a draft can be published.")
            if locked.has_started():
                raise Refused("This learning set is in the past: change its date before publishing it.")
            locked.status, locked.published_at = self.Status.PUBLISHED, timezone.now()
            locked.save(update_fields=["status", "published_at"])
            self._refresh(locked)

    def cancel(self, reason: str) -> int:
        """Cancel the set; everyone registered is sent METHOD:CANCEL and everyone waiting is told. Returns how many."""
        with transaction.atomic():
            locked = self._locked()
            if locked.status == self.Status.CANCELLED:
                raise Refused("This learning set is already cancelled.")
            if locked.has_ended():
                raise Refused("This learning set has already happened: it cannot be cancelled.")
            was_published = locked.status == self.Status.PUBLISHED
            locked.status, locked.cancelled_at, locked.cancel_reason = self.Status.CANCELLED, timezone.now(), reason
            locked.sequence += 1
            locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "sequence"])
            told = locked._tell_everyone(Delivery.Kind.CANCELLATION, reason) if was_published else 0
            self._refresh(locked)
        return told

    def change(self, values: dict, *, message: str = "") -> set[str]:
        """Apply edited details; when a published set's time or place changes, send everyone an update."""
        with transaction.atomic():
            locked = self._locked()
            if locked.status == self.Status.CANCELLED:
                raise Refused("This learning set is cancelled: it cannot be changed.")
            changed = {name for name, value in values.items() if getattr(locked, name) != value}
            taken = locked.registrations.filter(status=Registration.Status.REGISTERED).count()
            if "capacity" in changed and values["capacity"] < taken:
                raise Refused(
                    f"{taken} people have a place: the capacity cannot be less than {taken}. "
                    "Ask people to cancel first, or keep the capacity."
                )
            old_start = locked.local_start
            for name in changed:
                setattr(locked, name, values[name])
            if "starts_at" in changed:
                locked._move_agenda(old_start)
            tell = locked.status == self.Status.PUBLISHED and bool(changed & SIGNIFICANT_FIELDS)
            if tell:
                locked.sequence += 1
            locked.updated_at = timezone.now()
            locked.save()
            if tell:
                locked._tell_everyone(Delivery.Kind.UPDATE, message)
            if "capacity" in changed:
                locked.fill_places()
            self._refresh(locked)
            for name in changed:
                setattr(self, name, getattr(locked, name))
        return changed

    # --- After the set: attendance and feedback -------------------------------------------

    def record_attendance(self, present_ids: set[int]) -> int:
        """Mark who came (every place holder, present or not); ask each person who came for feedback once."""
        from organisations.notifications import notify

        if self.status == self.Status.CANCELLED:
            raise Refused("This learning set was cancelled: there is no attendance to record.")
        if not self.has_started():
            raise Refused("Attendance can be recorded once the learning set has started.")
        with transaction.atomic():
            rows = list(self.registrations.filter(status=Registration.Status.REGISTERED))
            now = timezone.now()
            for row in rows:
                row.attended, row.attendance_recorded_at = row.pk in present_ids, now
            Registration.objects.bulk_update(rows, ["attended", "attendance_recorded_at"])
            answered = set(self.feedback.values_list("user_id", flat=True))
            url = reverse("learning_sets:feedback", args=[self.pk])
            for row in rows:
                if row.attended and row.user_id not in answered:
                    Delivery.queue(Delivery.Kind.FEEDBACK, row.user_id, learning_set=self)
                    notify(
                        row.user_id,
                        "learning_set_feedback",
                        self,
                        f"How was {self.title}? Tell us in two minutes.",
                        url,
                        organisation=row.organisation_id,
                    )
        return sum(1 for row in rows if row.attended)

    def feedback_refusal(self, user) -> str | None:
        """Why this person cannot give feedback now, or None when they can."""
        if self.status == self.Status.CANCELLED:
            return "This learning set was cancelled."
        if not self.has_ended():
            return "You can give feedback once the learning set has finished."
        registration = self.registrations.filter(user=user, status=Registration.Status.REGISTERED).first()
        if registration is None or registration.attended is False:
            return "Feedback is asked of the people who came to this learning set."
        if self.feedback.filter(user=user).exists():
            return "You have already given feedback on this learning set. Thank you."
        return None

    def give_feedback(self, user, **answers) -> Feedback:
        from django.db import IntegrityError

        refusal = self.feedback_refusal(user)
        if refusal:
            raise Refused(refusal)
        registration = self.registrations.get(user=user)
        try:
            with transaction.atomic():
                return Feedback.objects.create(
                    learning_set=self, user=user, organisation_id=registration.organisation_id, **answers
                )
        except IntegrityError as e:  # the same survey sent twice at once
            raise Refused("You have already given feedback on this learning set. Thank you.") from e

    def _move_agenda(self, old_local_start) -> None:
        """Sessions keep their London clock times relative to the set's start when it moves."""
        shift = self.local_start.replace(tzinfo=None) - old_local_start.replace(tzinfo=None)
        for item in self.agenda.all():
            item.starts_at = _shift_london(item.starts_at, shift)
            item.ends_at = _shift_london(item.ends_at, shift)
            item.save(update_fields=["starts_at", "ends_at"])

    def _tell_everyone(self, kind: str, message: str) -> int:
        """Email everyone with a place (with the calendar change) and notify everyone waiting too."""
        from organisations.notifications import notify_many

        active = list(
            self.registrations.filter(
                status__in=[Registration.Status.REGISTERED, Registration.Status.WAITING]
            ).values_list("user_id", "status")
        )
        for user_id, status in active:
            if status == Registration.Status.REGISTERED:
                Delivery.queue(kind, user_id, learning_set=self, note=message)
        when = self.local_start
        text = (
            f"{self.title} is cancelled."
            if kind == Delivery.Kind.CANCELLATION
            else f"{self.title} has changed: now {when.day} {when:%B %Y} at {when:%H:%M}."
        )
        notify_many(
            [user_id for user_id, _ in active],
            f"learning_set_{kind}:{self.sequence}",
            self,
            text,
            self.get_absolute_url(),
            detail=message,
        )
        return len(active)

    def is_presenter(self, user, agenda=None) -> bool:
        """A presenter is in the team of an organisation presenting a session of this set."""
        from organisations.models import Membership

        items = self.agenda.all() if agenda is None else agenda
        org_ids = [i.presenting_organisation_id for i in items if i.presenting_organisation_id]
        if not org_ids or not user.is_authenticated:
            return False
        return Membership.objects.with_scopes_disabled().filter(user=user, organisation_id__in=org_ids).exists()


class AgendaItem(models.Model):
    """A session of a learning set. Times are stored in UTC like the set's own."""

    learning_set = models.ForeignKey(LearningSet, on_delete=models.CASCADE, related_name="agenda")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    title = models.CharField(max_length=200)
    presenting_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    speakers = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="agenda_item_ends_after_start")
        ]

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    """A person's place (or place on the waiting list) at a learning set. One row per person and set."""

    class Status(models.TextChoices):
        REGISTERED = "registered", "Registered"
        WAITING = "waiting", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"

    learning_set = models.ForeignKey(LearningSet, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The organisation they come for; none for programme staff (national team, coaches, experts).
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    needs = models.TextField("Access or dietary needs", max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)  # the waiting list's order: first come, first served
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queued_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["learning_set", "user"], name="one_registration_per_person")]
        indexes = [
            models.Index(fields=["learning_set", "status", "queued_at"]),
            models.Index(fields=["user", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.learning_set}: {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.REGISTERED, self.Status.WAITING)


class Delivery(models.Model):
    """One email to one person. `key` makes creating it idempotent; `sent_at` is claimed before sending."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"  # a place: METHOD:REQUEST
        UPDATE = "update", "Update"  # the set changed: METHOD:REQUEST, same UID, higher SEQUENCE
        CANCELLATION = "cancellation", "Cancellation"  # the set is cancelled: METHOD:CANCEL
        WITHDRAWAL = "withdrawal", "Withdrawal"  # the person gave up their place: METHOD:CANCEL
        WAITING = "waiting", "Waiting list"
        FEEDBACK = "feedback", "Feedback request"
        NEWSLETTER = "newsletter", "Newsletter"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    learning_set = models.ForeignKey(
        LearningSet, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    newsletter = models.ForeignKey(
        "Newsletter", on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    sequence = models.PositiveIntegerField(default=0)
    key = models.CharField(max_length=120, unique=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.key

    @classmethod
    def queue(cls, kind: str, user_id: int, *, learning_set=None, newsletter=None, note: str = "") -> Delivery:
        """Create the delivery once (by key) and send it after the transaction commits."""
        from .tasks import send_delivery

        sequence = learning_set.sequence if learning_set is not None else 0
        subject = f"set{learning_set.pk}" if learning_set is not None else f"newsletter{newsletter.pk}"
        key = f"{kind}:{subject}:{user_id}:{sequence}"
        delivery, created = cls.objects.get_or_create(
            key=key,
            defaults={
                "kind": kind,
                "user_id": user_id,
                "learning_set": learning_set,
                "newsletter": newsletter,
                "sequence": sequence,
                "note": note[:500],
            },
        )
        if created:
            send_delivery.delay_on_commit(delivery.pk)
        return delivery


def material_upload_to(instance, filename: str) -> str:
    # The stored name is random: the person's file name is kept only in `name`.
    return f"learning_sets/{instance.learning_set_id}/{secrets.token_urlsafe(18)}"


class Material(models.Model):
    """Slides or a document for a learning set. Checked by content on upload, always downloaded."""

    learning_set = models.ForeignKey(LearningSet, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=material_upload_to, max_length=300)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    share_before = models.BooleanField(
        "Share before the learning set", default=False, help_text="For pre-reading; otherwise shared once it starts."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.title


class Feedback(models.Model):
    """An attendee's short survey about one learning set: once each, kept for the evaluation."""

    learning_set = models.ForeignKey(LearningSet, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    usefulness = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    helped = models.TextField("What helped", max_length=2000, blank=True)
    did_not_help = models.TextField("What did not help", max_length=2000, blank=True)
    change = models.TextField("What to change", max_length=2000, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["learning_set", "user"], name="one_feedback_per_person"),
            models.CheckConstraint(condition=Q(usefulness__gte=1, usefulness__lte=5), name="usefulness_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"Feedback on {self.learning_set}"


class CalendarFeed(models.Model):
    """A person's private calendar address. The token is shown to them on /learning-sets/; revoking ends it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

    @classmethod
    def for_user(cls, user) -> CalendarFeed:
        feed, _ = cls.objects.get_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
        return feed

    def revoke(self) -> None:
        self.token, self.revoked_at = None, timezone.now()
        self.save(update_fields=["token", "revoked_at"])

    def renew(self) -> None:
        self.token, self.revoked_at, self.created_at = secrets.token_urlsafe(32), None, timezone.now()
        self.save(update_fields=["token", "revoked_at", "created_at"])


class Preference(models.Model):
    """What a person wants to be sent. Absent means the defaults (newsletters on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    newsletters = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"

    @classmethod
    def set_newsletters(cls, user_id: int, wanted: bool) -> None:
        cls.objects.update_or_create(user_id=user_id, defaults={"newsletters": wanted, "updated_at": timezone.now()})

    @classmethod
    def wants_newsletters(cls, user_id: int) -> bool:
        return not cls.objects.filter(user_id=user_id, newsletters=False).exists()


class Newsletter(models.Model):
    """Written in Markdown, shown and sent as sanitised HTML, archived once sent."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    collaborative = models.ForeignKey("collaborative.Collaborative", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=20000, help_text="Markdown: # headings, **bold**, [links](https://…), lists.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject

    @property
    def html(self) -> str:
        from .rendering import render_markdown

        return render_markdown(self.body)

    def send(self, by) -> bool:
        """Claim the draft and fan it out through Celery after the commit; False when it was already sent."""
        from .tasks import send_newsletter

        claimed = Newsletter.objects.filter(pk=self.pk, status=self.Status.DRAFT).update(
            status=self.Status.SENDING, sent_by=by, sent_at=timezone.now()
        )
        if claimed:
            send_newsletter.delay_on_commit(self.pk)
        self.refresh_from_db()
        return bool(claimed)


class CaseStudy(models.Model):
    """An organisation's shared work: submitted, reviewed by the national team, shown in the gallery."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    collaborative = models.ForeignKey("collaborative.Collaborative", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=1000)
    what_changed = models.TextField("What changed", max_length=5000)
    measures = models.ManyToManyField("measures.Measure", blank=True, related_name="+")
    consent_to_publish = models.BooleanField("Consent for wider publication", default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField("Note to the organisation", max_length=2000, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name_plural = "case studies"

    def __str__(self) -> str:
        return self.title

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CHANGES_REQUESTED)

    @property
    def for_communications(self) -> bool:
        return self.status == self.Status.APPROVED and self.consent_to_publish


def resource_upload_to(instance, filename: str) -> str:
    return f"resources/{instance.collaborative_id}/{secrets.token_urlsafe(18)}"


class Step(models.TextChoices):
    """The AMHE method's four steps."""

    IDENTIFY = "identify", "Identify"
    DESIGN = "design", "Design"
    DELIVER = "deliver", "Deliver"
    EVALUATE = "evaluate", "Evaluate"


class Resource(models.Model):
    """Guidance in the library: a document or a link, by AMHE step and phase, linked from the pages that need it."""

    class Category(models.TextChoices):
        EQUALITY = "equality", "Equality resource"
        CHANGE_THEORY = "change_theory", "Change theory guide"
        QI_METHOD = "qi_method", "QI method guide"
        TEMPLATE = "template", "Template"
        OTHER = "other", "Other guidance"

    class Phase(models.IntegerChoices):
        ANY = 0, "Any phase"
        LOCAL_DESIGN = 1, "Local design"
        TESTING = 2, "Testing and scaling up"
        SUSTAINING = 3, "Sustaining"

    collaborative = models.ForeignKey("collaborative.Collaborative", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=1000)
    category = models.CharField(max_length=20, choices=Category.choices)
    step = models.CharField("AMHE step", max_length=20, choices=Step.choices)
    phase = models.PositiveSmallIntegerField(choices=Phase.choices, default=Phase.ANY)
    url = models.URLField("Link", max_length=500, blank=True)
    file = models.FileField(upload_to=resource_upload_to, max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_kind = models.CharField(max_length=20, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    published = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["step", "phase", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_document(self) -> bool:
        return bool(self.file)


# Pages that link to the resources tagged for them: {% resources_for "pdsa" %}.
PAGE_KEYS = [
    ("pdsa", "PDSA cycle form"),
    ("change_theory", "Change theory (driver diagram)"),
    ("population", "Focus populations and profiles"),
    ("measures", "Measurement strategy and data"),
    ("coproduction", "Coproduction log"),
    ("phases", "Phases and gates"),
    ("sustainability", "Sustainability plan"),
    ("case_studies", "Case studies"),
]


class ResourcePage(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="pages")
    page = models.CharField(max_length=30, choices=PAGE_KEYS)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource", "page"], name="one_link_per_resource_page")]

    def __str__(self) -> str:
        return f"{self.resource} on {self.page}"


FLAG_BEFORE = timedelta(days=14)


def _shift_london(moment, shift: timedelta):
    local = scheduling.to_london(moment).replace(tzinfo=None) + shift
    try:
        return scheduling.london_to_utc(local.date(), local.time())
    except scheduling.NonexistentTime:  # a session moved into the skipped hour: an hour later
        return scheduling.london_to_utc(local.date(), (local + timedelta(hours=1)).time())

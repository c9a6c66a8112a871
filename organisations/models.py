from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core import signing
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from . import text as bounded


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person; they sign in with their email address."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Organisation(models.Model):
    """The tenant: a trust, local system or voluntary sector partner."""

    class Kind(models.TextChoices):
        MENTAL_HEALTH_TRUST = "mh_trust", "Mental health trust"
        INTEGRATED_CARE_BOARD = "icb", "Integrated care board"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        VOLUNTARY_SECTOR = "voluntary", "Voluntary sector organisation"
        OTHER = "other", "Other"

    name = bounded.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)

    class Region(models.TextChoices):
        """NHS England's seven regions."""

        EAST_OF_ENGLAND = "east_of_england", "East of England"
        LONDON = "london", "London"
        MIDLANDS = "midlands", "Midlands"
        NORTH_EAST_AND_YORKSHIRE = "north_east_and_yorkshire", "North East and Yorkshire"
        NORTH_WEST = "north_west", "North West"
        SOUTH_EAST = "south_east", "South East"
        SOUTH_WEST = "south_west", "South West"

    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.MENTAL_HEALTH_TRUST)
    region = models.CharField("NHS England region", max_length=30, choices=Region.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """Every role the access policy knows, organisation and programme level."""

    LEAD = "lead", "Project lead"
    MEMBER = "member", "Team member"
    DATA_CHAMPION = "data_champion", "Data champion"
    SPONSOR = "sponsor", "Executive sponsor"
    LIVED_EXPERIENCE = "lived_experience", "Lived-experience partner"
    NATIONAL = "national", "National team"
    COACH = "coach", "QI coach"
    EXPERT = "expert", "Expert"
    EVALUATOR = "evaluator", "Evaluator"


TEAM_ROLES = [Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION, Role.SPONSOR, Role.LIVED_EXPERIENCE]
PROGRAMME_ROLES = [Role.NATIONAL, Role.COACH, Role.EXPERT, Role.EVALUATOR]
ASSIGNED_ROLES = [Role.COACH, Role.EXPERT]
# Roles that see organisation data beyond their own team: they must use MFA.
MFA_REQUIRED_ROLES = {Role.NATIONAL, Role.COACH, Role.EXPERT, Role.EVALUATOR}


class Membership(models.Model):
    """A person's role in an organisation's project team."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in TEAM_ROLES])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user", "role"], name="unique_membership_role")]
        ordering = ["role", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"


class ProgrammeRole(models.Model):
    """National team, coach, expert or evaluator in one collaborative."""

    collaborative = models.ForeignKey(
        "collaborative.Collaborative", on_delete=models.CASCADE, related_name="programme_roles"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="programme_roles")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in PROGRAMME_ROLES])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collaborative", "user", "role"], name="unique_programme_role")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.collaborative}"


class Assignment(models.Model):
    """A coach or expert assigned to support an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in ASSIGNED_ROLES])
    specialism = bounded.CharField(max_length=200, blank=True, help_text="For experts: equality area or coproduction.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user", "role"], name="unique_assignment_role")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An emailed, signed, expiring, single-use link to create an account.

    Create one, then `send(request=...)`: it is audited and emailed once.

    Either a team role in an organisation, or a programme role in a
    collaborative (then optionally assigned to the organisation as coach or
    expert).
    """

    SALT = "organisations.invitation"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Withdrawn"
        EXPIRED = "expired", "Expired"

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    collaborative = models.ForeignKey(
        "collaborative.Collaborative", on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(
        organisation="organisation", _manager_class=models.Manager.from_queryset(InvitationQuerySet)
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} as {self.get_role_display()}"

    @property
    def token(self) -> str:
        return signing.dumps({"i": self.pk, "e": self.email}, salt=self.SALT, compress=True)

    @classmethod
    def id_from_token(cls, token: str) -> int:
        """The invitation id in a token; raises signing.BadSignature when tampered."""
        data = signing.loads(token, salt=cls.SALT)
        return int(data["i"])

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def grant(self, user) -> None:
        """Give `user` the role this invitation offers."""
        if self.role in TEAM_ROLES:
            Membership.objects.with_scopes_disabled().get_or_create(
                organisation_id=self.organisation_id, user=user, role=self.role
            )
        else:
            ProgrammeRole.objects.get_or_create(collaborative_id=self.collaborative_id, user=user, role=self.role)
            if self.role in ASSIGNED_ROLES and self.organisation_id:
                Assignment.objects.with_scopes_disabled().get_or_create(
                    organisation_id=self.organisation_id, user=user, role=self.role
                )

    @property
    def status(self) -> Invitation.Status:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.is_expired:
            return self.Status.EXPIRED
        return self.Status.PENDING

    def send(self, *, request=None) -> None:
        """Audit this invitation and email it once the transaction commits.

        The task claims the row before sending (organisations.tasks), so a
        retried or duplicated task never sends it twice.
        """
        from django.db import transaction

        from .audit import record
        from .tasks import delay_safely, send_invitation

        record(
            AuditEvent.Action.INVITE,
            request=request,
            organisation=self.organisation,
            obj=self,
            summary=f"Invited {self.email} as {self.get_role_display()}",
        )
        # After commit, and never failing the request: with the broker down the invitation stays unsent.
        transaction.on_commit(lambda: delay_safely(send_invitation, self.pk))


class AuditQuerySet(models.QuerySet):
    """The audit log is append-only: bulk changes are refused too."""

    def update(self, **kwargs):
        raise PermissionError("Audit entries cannot be changed.")

    def delete(self):
        raise PermissionError("Audit entries cannot be deleted.")


class AuditEvent(models.Model):
    """Who did what, when, in which organisation. Never changed, never deleted.

    Foreign keys are not enforced by the database so that deleting a user or an
    organisation never rewrites history; the email and organisation name are
    copied in for the same reason.
    """

    class Action(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOGOUT = "logout", "Signed out"
        VIEW = "view", "Viewed"
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        EXPORT = "export", "Exported"
        INVITE = "invite", "Invited"
        ROLE_CHANGE = "role_change", "Changed a role"
        API = "api", "API call"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    user_email = bounded.CharField(max_length=254, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = bounded.CharField(max_length=100, blank=True)
    object_id = bounded.CharField(max_length=64, blank=True)
    summary = bounded.CharField(max_length=300, blank=True)
    path = bounded.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "-at"]), models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_email or 'anonymous'} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")


def accept_invitation(invitation_id: int, user) -> bool:
    """Claim a pending invitation for `user` and grant its role. Single use.

    The conditional update claims the row: a second click, a second tab or a
    replayed link changes nothing and returns False.
    """
    from django.db import transaction

    with transaction.atomic():
        claimed = (
            Invitation.objects.with_scopes_disabled()
            .filter(pk=invitation_id, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())
            .update(accepted_at=timezone.now(), accepted_by=user)
        )
        if not claimed:
            return False
        invitation = Invitation.objects.with_scopes_disabled().get(pk=invitation_id)
        invitation.grant(user)
    return True


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at=None)


class ApiToken(models.Model):
    """A secret for an organisation's data warehouse to call the API. Only its hash is stored."""

    PREFIX = "amhe"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_tokens")
    name = bounded.CharField(max_length=100, help_text="What uses it, for example 'Data warehouse nightly load'.")
    key_id = bounded.CharField(max_length=16, unique=True)
    secret_hash = bounded.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation", _manager_class=models.Manager.from_queryset(ApiTokenQuerySet))

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}_{self.key_id}_…)"

    @staticmethod
    def _hash(secret: str) -> str:
        import hashlib

        # Tokens are 256-bit random secrets: a fast hash is enough, no salt or stretching needed.
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, *, organisation, name: str, created_by) -> tuple[ApiToken, str]:
        """Create a token; the full secret is returned once and never stored."""
        import secrets

        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.with_scopes_disabled().create(
            organisation=organisation, name=name, key_id=key_id, secret_hash=cls._hash(secret), created_by=created_by
        )
        return token, f"{cls.PREFIX}_{key_id}_{secret}"

    @classmethod
    def authenticate(cls, presented: str) -> ApiToken | None:
        """The active token for a presented secret, or None. Constant-time comparison."""
        import hmac

        parts = (presented or "").split("_", 2)
        if len(parts) != 3 or parts[0] != cls.PREFIX:
            return None
        # The token names its organisation: there is no scope before we know which one.
        token = cls.objects.with_scopes_disabled().active().filter(key_id=parts[1]).first()
        if token is None or not hmac.compare_digest(token.secret_hash, cls._hash(parts[2])):
            return None
        return token


class Notification(models.Model):
    """Something for one person to read: feedback on their work, a mention, a reminder.

    It belongs to its recipient, whatever it is about (a comment, a learning set,
    a data deadline), so it lives here on the ground floor and points at its
    subject generically. Create them with `organisations.notifications.notify`.
    Not tenant-scoped: every query filters by recipient; `organisation` is kept
    so an organisation's pages can show only their own.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = bounded.CharField(max_length=40)  # "feedback", "mention", "learning_set", "reminder", ...
    about_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    about_id = models.PositiveBigIntegerField()
    about = GenericForeignKey("about_type", "about_id")
    text = bounded.CharField(max_length=300)
    detail = bounded.TextField(blank=True, max_length=1000)
    url = bounded.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # notify() is idempotent: one notification per person, kind and subject.
            models.UniqueConstraint(
                fields=["recipient", "kind", "about_type", "about_id"], name="one_notice_per_subject"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.text}"


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, principal):
        """What one national-team member may see: their organisations' deliveries and their programme staff's."""
        if principal.is_superuser:
            return self
        staff = ProgrammeRole.objects.filter(collaborative_id__in=principal.collaborative_ids).values("user_id")
        return self.filter(
            models.Q(organisation_id__in=principal.national_org_ids)
            | models.Q(organisation__isnull=True, recipient_id__in=staff)
        )


class Delivery(models.Model):
    """One reminder, digest or email-worthy notification for one person: the record of what is due and what went.

    The database, not the queue, is the source of truth: a reminder source
    (organisations.deliveries) creates one row per recipient, kind, subject and
    occasion (the unique key, so finding the same thing again changes nothing),
    and sending claims the row with a conditional update first, so a retried
    task, a duplicated message, a second worker or two `send_due_reminders` at
    once send it once. Not tenant-scoped, like Notification: it belongs to its
    recipient; `organisation` is kept for the tenant scope of the task and the
    national team's deliveries page.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = bounded.CharField(max_length=40)
    about_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    about_id = models.PositiveBigIntegerField()
    about = GenericForeignKey("about_type", "about_id")
    occasion = bounded.CharField(max_length=60, help_text="Which reminder about the subject: a due day, a week.")
    due_at = models.DateTimeField()
    subject = bounded.CharField(max_length=200)
    text = bounded.TextField(blank=True, max_length=4000)
    url = bounded.CharField(max_length=500, blank=True)
    items = models.JSONField(default=list, blank=True)  # a digest's entries: {"title", "url", "lines"}
    in_app = models.BooleanField(default=True, help_text="Also put it in the notification list.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = bounded.CharField(max_length=500, blank=True)
    emailed = models.BooleanField(default=False, help_text="The email went out (not: in-app only).")
    created_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(null=True, blank=True, help_text="After a failure: the next try, not sooner.")
    queued_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "about_type", "about_id", "occasion"], name="one_delivery_per_occasion"
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"]), models.Index(fields=["organisation", "-due_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} ({self.occasion}): {self.get_status_display()}"


class EmailPreference(models.Model):
    """Whether one person wants one kind of reminder by email. No row: the kind's default (yes)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences")
    kind = bounded.CharField(max_length=40)
    by_email = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_email_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} by email for {self.user_id}: {self.by_email}"

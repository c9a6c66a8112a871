"""The access policy: the one place that answers "may this user do this here?".

Views (through the middleware and `requires`), templates (through the `can`
template filter) and Celery tasks ask this module; nothing else decides.
The table it implements is in docs/architecture.md section 3.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Value
from django.http import Http404
from django_scopes import scopes_disabled

from .models import ASSIGNED_ROLES, MFA_REQUIRED_ROLES, TEAM_ROLES, Role

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# Actions and the roles that may perform them in an organisation they can see.
# "national" and the assigned roles reach an organisation through the programme;
# the team roles through membership of it.
ORGANISATION_ACTIONS: dict[str, set[str]] = {
    "view_workspace": {Role.NATIONAL, Role.COACH, Role.EXPERT, *TEAM_ROLES},
    "edit_plan": {Role.NATIONAL, Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION},
    "log_work": {Role.NATIONAL, Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION},
    "comment": {
        Role.NATIONAL,
        Role.COACH,
        Role.EXPERT,
        Role.LEAD,
        Role.MEMBER,
        Role.DATA_CHAMPION,
        Role.LIVED_EXPERIENCE,
    },
    "invite_team": {Role.NATIONAL, Role.LEAD},
    "manage_team": {Role.NATIONAL, Role.LEAD},  # change a member's role, take them off the team
    "manage_tokens": {Role.NATIONAL, Role.LEAD},
    "sign_off_gate": {Role.NATIONAL, Role.COACH},
    "manage_enrolment": {Role.NATIONAL},
    "edit_fees": {Role.NATIONAL},
    "adjust_phase": {Role.NATIONAL, Role.COACH},
    "rebase_chart": {Role.NATIONAL, Role.COACH, Role.LEAD},  # start new limits after an adopted change
    "log_coaching": {Role.NATIONAL, Role.COACH, Role.EXPERT},
    "view_fees": {Role.NATIONAL, Role.LEAD, Role.SPONSOR},
    "export_raw": {Role.NATIONAL, Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION, Role.SPONSOR},
    "submit_case_study": {Role.NATIONAL, Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION},
    "review_case_study": {Role.NATIONAL},
    # Risks and asks for the executive sponsor: the team raises and resolves them, the sponsor answers.
    "raise_ask": {Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION},
    "answer_ask": {Role.SPONSOR},
}

# Everyone who takes part in the learning sets: every role but the evaluator (DESIGN.md section 5).
LEARNING_SET_MEMBERS = {Role.NATIONAL, Role.COACH, Role.EXPERT, *TEAM_ROLES}

# Actions that are not about one organisation.
PROGRAMME_ACTIONS: dict[str, set[str]] = {
    "view_programme": {Role.NATIONAL},
    "manage_programme": {Role.NATIONAL},
    "schedule_learning_sets": {Role.NATIONAL},
    "send_newsletters": {Role.NATIONAL},
    "invite_programme": {Role.NATIONAL},
    "view_audit": {Role.NATIONAL},
    "manage_accounts": {Role.NATIONAL},  # close the account of someone who has left
    "view_deliveries": {Role.NATIONAL},  # every reminder and email sent, and those that failed
    "retry_deliveries": {Role.NATIONAL},
    "view_portfolio": {Role.COACH, Role.EXPERT},
    "view_evaluation": {Role.NATIONAL, Role.EVALUATOR},
    "export_evaluation": {Role.NATIONAL, Role.EVALUATOR},  # request and download the evaluator package
    "export_suppressed": {Role.NATIONAL, Role.COACH, Role.EXPERT, Role.EVALUATOR},
    # Learning sets and the learning between them. A team role counts wherever the person holds it.
    "view_learning_sets": LEARNING_SET_MEMBERS,
    "register_learning_sets": LEARNING_SET_MEMBERS,
    "download_materials": LEARNING_SET_MEMBERS,
    "give_feedback": LEARNING_SET_MEMBERS,
    "view_feedback_results": {Role.NATIONAL, Role.EVALUATOR},  # aggregated, no names: the evaluation reads it
    # The six-monthly approach feedback survey (evaluation/survey.py): every member of an organisation's team.
    "give_approach_feedback": set(TEAM_ROLES),
    "manage_shared_work": {Role.NATIONAL},  # review case studies, curate the resource library
}


@dataclass
class Principal:
    """Everything the policy needs about one user, loaded once per request."""

    user_id: int | None
    programme_roles: set[str] = field(default_factory=set)
    collaborative_ids: set[int] = field(default_factory=set)  # where the user is national team
    staff_collaborative_ids: set[int] = field(default_factory=set)  # where the user has any programme role
    national_org_ids: set[int] = field(default_factory=set)
    team_roles: dict[int, set[str]] = field(default_factory=dict)
    assigned_roles: dict[int, set[str]] = field(default_factory=dict)
    is_superuser: bool = False

    @property
    def is_national(self) -> bool:
        return Role.NATIONAL in self.programme_roles or self.is_superuser

    def roles_in(self, organisation_id: int) -> set[str]:
        roles = set(self.team_roles.get(organisation_id, ()))
        roles |= self.assigned_roles.get(organisation_id, set())
        if organisation_id in self.national_org_ids:
            roles.add(Role.NATIONAL)
        return roles

    def visible_organisation_ids(self) -> list[int]:
        return sorted(set(self.team_roles) | set(self.assigned_roles) | self.national_org_ids)


ANONYMOUS = Principal(user_id=None)


def principal(user) -> Principal:
    # A closed account may do nothing, wherever it still appears (an API token, a stale object).
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_amhe_principal", None)
    if cached is not None:
        return cached
    from collaborative.models import Enrolment
    from organisations.models import Assignment, Membership, Organisation, ProgrammeRole

    p = Principal(user_id=user.pk, is_superuser=user.is_superuser)
    # The policy decides the scope, so it must read memberships before one exists.
    with scopes_disabled():
        # One query for the three kinds of role (every page pays for it).
        roles = (
            ProgrammeRole.objects.filter(user=user)
            .order_by()
            .annotate(kind=Value("programme", output_field=CharField()))
            .values_list("kind", "collaborative_id", "role")
            .union(
                Membership.objects.filter(user=user)
                .order_by()
                .annotate(kind=Value("team", output_field=CharField()))
                .values_list("kind", "organisation_id", "role"),
                Assignment.objects.filter(user=user)
                .order_by()
                .annotate(kind=Value("assigned", output_field=CharField()))
                .values_list("kind", "organisation_id", "role"),
                all=True,
            )
        )
        for kind, target_id, role in roles:
            if kind == "programme":
                p.programme_roles.add(role)
                p.staff_collaborative_ids.add(target_id)
                if role == Role.NATIONAL:
                    p.collaborative_ids.add(target_id)
            elif kind == "team":
                p.team_roles.setdefault(target_id, set()).add(role)
            else:
                p.assigned_roles.setdefault(target_id, set()).add(role)
                p.programme_roles.add(role)
        if user.is_superuser:
            p.national_org_ids = set(Organisation.objects.values_list("pk", flat=True))
        elif p.collaborative_ids:
            p.national_org_ids = set(
                Enrolment.objects.filter(collaborative_id__in=p.collaborative_ids).values_list(
                    "organisation_id", flat=True
                )
            )
    user._amhe_principal = p
    return p


def forget(user) -> None:
    """Drop the cached principal after the user's roles changed."""
    if hasattr(user, "_amhe_principal"):
        del user._amhe_principal


def visible_organisation_ids(user) -> list[int]:
    """Organisations whose workspace the user may open. Evaluators see none: aggregates only."""
    return principal(user).visible_organisation_ids()


def roles_in(user, organisation) -> set[str]:
    org_id = getattr(organisation, "pk", organisation)
    return principal(user).roles_in(org_id)


def can(user, action: str, organisation=None) -> bool:
    """May `user` perform `action`, in `organisation` for organisation actions."""
    p = principal(user)
    if p.user_id is None:
        return False
    if action in PROGRAMME_ACTIONS:
        allowed = PROGRAMME_ACTIONS[action]
        roles = p.programme_roles.union(*p.team_roles.values())
        return bool(roles & allowed) or (p.is_superuser and Role.NATIONAL in allowed)
    if action not in ORGANISATION_ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if organisation is None:
        return False
    return bool(roles_in(user, organisation) & ORGANISATION_ACTIONS[action])


def needs_mfa(user) -> bool:
    """Programme staff must have an authenticator before they see any organisation data."""
    p = principal(user)
    if not (p.programme_roles & MFA_REQUIRED_ROLES or p.is_superuser):
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(user_id=p.user_id, type=Authenticator.Type.TOTP).exists()


def is_assigned_role(role: str) -> bool:
    return role in ASSIGNED_ROLES


def requires(action: str, *, post: str | None = None):
    """View decorator: the organisation (resolved by the middleware) must allow `action`.

    `post` names a different action for writes: `@requires("view_workspace",
    post="log_work")` lets everyone who sees the workspace read the page and
    only those who log work submit it. Outsiders never get here (the middleware
    answers 404); a visible organisation where the role may not act answers 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            needed = post if post and request.method not in SAFE_METHODS else action
            organisation = getattr(request, "organisation", None)
            if needed in ORGANISATION_ACTIONS and organisation is None:
                raise Http404
            if not can(request.user, needed, organisation):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_action = action
        wrapped.required_post_action = post or action
        return wrapped

    return decorator


def collaborative_for(user, slug: str | None = None):
    """The collaborative a programme-level page is about: the user's own as national team (or any
    programme role), narrowed by `slug` when given; None when the user has none.

    Superusers may open any collaborative. The collaborative model is reached
    through ProgrammeRole's foreign key, so the ground floor imports no app above it.
    """
    from .models import ProgrammeRole

    Collaborative = ProgrammeRole.collaborative.field.related_model
    p = principal(user)
    collaboratives = Collaborative.objects.order_by("-start_date", "pk")
    if not p.is_superuser:
        collaboratives = collaboratives.filter(pk__in=p.collaborative_ids or p.staff_collaborative_ids)
    if slug:
        collaboratives = collaboratives.filter(slug=slug)
    return collaboratives.first()

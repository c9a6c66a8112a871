"""Demo learning sets and the learning between them. Idempotent: each part is keyed and made once.

A year of four learning sets around today: two past (with attendance, feedback
and slides), two upcoming (lead1 registered for both); the next one, ten days
away, has organisations with nobody registered (the board flags them) and the
last is full with a waiting list. Two newsletters, three case studies at
different review stages and a dozen resources across the four AMHE steps.
No email is sent: rows are written directly.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from . import scheduling
from .models import (
    AgendaItem,
    CaseStudy,
    Feedback,
    LearningSet,
    Material,
    Newsletter,
    Registration,
    Resource,
    ResourcePage,
)

# (days from today, title, capacity, format)
SETS = [
    (-150, "Learning set: what the data says about inequality", 80, "in_person"),
    (-60, "Learning set: coproducing change with lived experience", 80, "online"),
    (10, "Learning set: testing changes that close the gap", 80, "hybrid"),
    (100, "Learning set: sustaining and spreading what works", 6, "online"),
]
AGENDA = [
    (time(10, 0), time(10, 30), "Welcome and the programme's progress", None, "Nadia Okafor"),
    (time(10, 30), time(11, 30), "Case study: what changed for us", 0, "Lead 1 and a lived-experience partner"),
    (time(11, 45), time(12, 45), "Small-group work: your next PDSA cycle", None, "QI coaches"),
    (time(13, 30), time(14, 30), "Reading SPC charts for equality gaps", 1, "Lead 2"),
    (time(14, 30), time(15, 30), "Reflections and what to try next", None, "National team"),
]
FEEDBACK = [
    (5, "Hearing how Northshire worked with carers.", "", "More time in small groups."),
    (4, "The SPC session: I finally understand the limits.", "The room was too warm.", "Share slides before."),
    (4, "Talking to teams facing the same problems.", "Too many slides in the morning.", ""),
    (3, "Networking.", "The breakout rooms were too short.", "Longer breakouts."),
    (5, "Lived-experience partners leading a session.", "", "Keep doing this."),
]
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _working_day_near(target: date, weekday: int = 2) -> date:
    """The preferred weekday nearest the target that is a working day (then the nearest working day)."""
    for shift in (0, 1, -1, 2, -2, 3, -3):
        day = target + timedelta(days=shift)
        if day.weekday() == weekday and scheduling.is_working_day(day):
            return day
    day = target
    while not scheduling.is_working_day(day):
        day += timedelta(days=1)
    return day


def _users() -> dict:
    User = get_user_model()
    emails = ["national", "coach1", "coach2", "sponsor1", "member1"] + [f"lead{n}" for n in range(1, 7)]
    return {e: User.objects.filter(email=f"{e}@demo.example").first() for e in emails}


@transaction.atomic
def seed(collaborative) -> None:
    # Seeding writes every organisation's rows: a national-level path.
    with scopes_disabled():
        from collaborative.models import Enrolment

        organisations = [
            e.organisation for e in Enrolment.objects.filter(collaborative=collaborative, active=True).order_by("pk")
        ]
        people = _users()
        if people["national"] is None or len(organisations) < 6:
            return
        sets = [_learning_set(collaborative, n, row, organisations, people) for n, row in enumerate(SETS, start=1)]
        _registrations(sets, organisations, people)
        _newsletters(collaborative, people["national"])
        _case_studies(collaborative, organisations, people)
        _resources(collaborative, people["national"])


def _learning_set(collaborative, number, row, organisations, people) -> LearningSet:
    days, title, capacity, kind = row
    uid = f"demo-learning-set-{number}@amhe-collaborative"
    existing = LearningSet.objects.filter(uid=uid).first()
    if existing:
        return existing
    day = _working_day_near(timezone.localdate() + timedelta(days=days))
    place = {
        "in_person": {"venue": "The Light, Leeds", "address": "The Headrow, Leeds LS1 8TL"},
        "hybrid": {
            "venue": "Birmingham Council House",
            "address": "Victoria Square, Birmingham B1 1BB",
            "joining_link": "https://meet.example.org/amhe-learning-set",
        },
        "online": {"joining_link": "https://meet.example.org/amhe-learning-set"},
    }[kind]
    learning_set = LearningSet.objects.create(
        collaborative=collaborative,
        uid=uid,
        title=title,
        starts_at=scheduling.london_to_utc(day, time(10, 0)),
        ends_at=scheduling.london_to_utc(day, time(15, 30)),
        format=kind,
        capacity=capacity,
        description="Every member of the collaborative meets to share work and learn from each other.",
        status=LearningSet.Status.PUBLISHED,
        published_at=timezone.now(),
        created_by=people["national"],
        **place,
    )
    for start, end, session, presenter, speakers in AGENDA:
        AgendaItem.objects.create(
            learning_set=learning_set,
            starts_at=scheduling.london_to_utc(day, start),
            ends_at=scheduling.london_to_utc(day, end),
            title=session,
            presenting_organisation=organisations[(presenter + number) % 6] if presenter is not None else None,
            speakers=speakers,
        )
    if days < 0:
        slides = Material(
            learning_set=learning_set,
            title="Slides from the day",
            name="learning-set-slides.pdf",
            kind="pdf",
            size=len(PDF),
            uploaded_by=people["national"],
        )
        slides.file.save("learning-set-slides.pdf", ContentFile(PDF), save=False)
        slides.save()
    return learning_set


def _registrations(sets, organisations, people) -> None:
    if Registration.objects.filter(learning_set__in=sets).exists():
        return
    leads = [(people[f"lead{n}"], organisations[n - 1]) for n in range(1, 7)]
    team_one = [(people["member1"], organisations[0]), (people["sponsor1"], organisations[0])]
    past, soon, full = sets[:2], sets[2], sets[3]
    now = timezone.now()
    for learning_set in past:
        for index, (user, organisation) in enumerate(leads + team_one):
            came = index != 4  # lead5 could not come
            Registration.objects.create(
                learning_set=learning_set,
                user=user,
                organisation=organisation,
                status=Registration.Status.REGISTERED,
                attended=came,
                attendance_recorded_at=learning_set.ends_at,
                queued_at=learning_set.starts_at - timedelta(days=30 - index),
            )
            if came and index < len(FEEDBACK):
                score, helped, not_helped, change = FEEDBACK[(index + sets.index(learning_set)) % len(FEEDBACK)]
                Feedback.objects.create(
                    learning_set=learning_set,
                    user=user,
                    organisation=organisation,
                    usefulness=score,
                    helped=helped,
                    did_not_help=not_helped,
                    change=change,
                    submitted_at=learning_set.ends_at + timedelta(days=1),
                )
    # Ten days away: organisations 5 and 6 have nobody registered, so the board flags them.
    for user, organisation in leads[:4] + team_one[:1]:
        _register(soon, user, organisation, now)
    _register(soon, people["coach1"], None, now)
    # Full, with a waiting list: six places, lead5 and lead6 waiting.
    for user, organisation in leads[:4] + team_one:
        _register(full, user, organisation, now, needs="Step-free access, please." if user == people["lead2"] else "")
    for offset, (user, organisation) in enumerate(leads[4:], start=1):
        _register(full, user, organisation, now + timedelta(minutes=offset), status=Registration.Status.WAITING)


def _register(learning_set, user, organisation, at, *, status=Registration.Status.REGISTERED, needs=""):
    Registration.objects.create(
        learning_set=learning_set,
        user=user,
        organisation=organisation,
        status=status,
        needs=needs,
        created_at=at,
        queued_at=at,
    )


NEWSLETTERS = [
    (
        120,
        "Autumn news: data that shows the gap",
        "## Welcome\n\nThis quarter four organisations started testing changes. **Northshire** saw "
        "did-not-attend rates for young Black men fall for the third month running.\n\n"
        "## Next learning set\n\nCoproducing change with lived experience: register on the "
        "[learning sets page](/learning-sets/).\n\n- Share your run charts\n- Bring a lived-experience partner",
    ),
    (
        20,
        "Winter news: testing changes that close the gap",
        "## What we learned\n\nAt the last learning set, teams said small-group work helped most.\n\n"
        "## Case studies\n\nRead Northshire's evening clinics in the [gallery](/learning-sets/case-studies/).\n\n"
        "> The charts made our board ask the right questions. (A project lead)",
    ),
]


def _newsletters(collaborative, national) -> None:
    from . import audience

    count = len(audience.newsletter_recipients(collaborative.pk))
    for days_ago, subject, body in NEWSLETTERS:
        if Newsletter.objects.filter(collaborative=collaborative, subject=subject).exists():
            continue
        sent = timezone.now() - timedelta(days=days_ago)
        Newsletter.objects.create(
            collaborative=collaborative,
            subject=subject,
            body=body,
            status=Newsletter.Status.SENT,
            created_by=national,
            created_at=sent - timedelta(days=2),
            updated_at=sent,
            sent_at=sent,
            sent_by=national,
            recipient_count=count,
        )


CASE_STUDIES = [
    (
        0,
        CaseStudy.Status.APPROVED,
        True,
        "Evening clinics for young Black men",
        "We opened evening clinics with a community organisation; did-not-attend rates fell by a third.",
        "Three PDSA cycles tested evening appointments, text reminders written with our lived-experience "
        "partners and a peer worker at the door. The gap in attendance with White British patients narrowed.",
        "",
    ),
    (
        1,
        CaseStudy.Status.SUBMITTED,
        False,
        "Interpreters booked at referral",
        "Booking interpreters when the referral arrives halved the wait for a first appointment.",
        "We changed the referral form so that language needs are recorded, and the booking team books an "
        "interpreter the same day.",
        "",
    ),
    (
        2,
        CaseStudy.Status.CHANGES_REQUESTED,
        False,
        "Community outreach in Eastmoor",
        "Outreach sessions in community centres brought in people who had never been referred.",
        "We ran twelve sessions with faith groups and tracked first contacts.",
        "Lovely work. Please add the measure chart for first contacts and say what you will do next.",
    ),
]


def _case_studies(collaborative, organisations, people) -> None:
    from measures.models import Measure

    now = timezone.now()
    for index, status, consent, title, summary, changed, note in CASE_STUDIES:
        organisation = organisations[index]
        if CaseStudy.objects.filter(organisation=organisation, title=title).exists():
            continue
        author = people[f"lead{index + 1}"]
        case_study = CaseStudy.objects.create(
            organisation=organisation,
            collaborative=collaborative,
            title=title,
            summary=summary,
            what_changed=changed,
            consent_to_publish=consent,
            status=status,
            created_by=author,
            submitted_by=author,
            submitted_at=now - timedelta(days=14),
            reviewed_by=people["national"] if status != CaseStudy.Status.SUBMITTED else None,
            reviewed_at=now - timedelta(days=7) if status != CaseStudy.Status.SUBMITTED else None,
            review_note=note,
        )
        case_study.measures.set(Measure.objects.filter(organisation=organisation).order_by("code")[:2])


# (title, category, step, phase, pages, link or None for a document, summary)
RESOURCES = [
    (
        "Advancing mental health equalities strategy",
        "equality",
        "identify",
        1,
        ["population"],
        "https://www.england.nhs.uk/publication/advancing-mental-health-equalities-strategy/",
        "The national strategy: why inequalities in access, experience and outcomes matter and what works.",
    ),
    (
        "The programme's equality resource",
        "equality",
        "identify",
        1,
        ["population", "measures"],
        None,
        "Which data to use to find the groups your services fail most, and how to compare them fairly.",
    ),
    (
        "Population profile template",
        "template",
        "identify",
        1,
        ["population"],
        None,
        "A spreadsheet layout for your population profile and representation ratios.",
    ),
    (
        "The change theory guide",
        "change_theory",
        "design",
        1,
        ["change_theory"],
        None,
        "How to adapt the programme's driver diagram with people with lived experience.",
    ),
    (
        "Coproduction principles",
        "equality",
        "design",
        0,
        ["coproduction", "change_theory"],
        "https://www.england.nhs.uk/publication/working-in-partnership-with-people-and-communities-statutory-guidance/",
        "Working in partnership with people and communities: the statutory guidance.",
    ),
    (
        "Measurement strategy guide",
        "qi_method",
        "design",
        1,
        ["measures"],
        None,
        "Outcome, process and balancing measures, operational definitions and stratifying by group.",
    ),
    (
        "The PDSA guide",
        "qi_method",
        "deliver",
        2,
        ["pdsa"],
        None,
        "Plan, do, study, act: small tests of change, predictions, and ramps of cycles.",
    ),
    (
        "PDSA planning template",
        "template",
        "deliver",
        2,
        ["pdsa"],
        None,
        "A one-page plan for a test of change: objective, prediction, measures, who, when.",
    ),
    (
        "Making data count",
        "qi_method",
        "evaluate",
        2,
        ["measures"],
        "https://www.england.nhs.uk/publication/making-data-count/",
        "Statistical process control charts: common and special cause variation.",
    ),
    (
        "Reading equality gaps on SPC charts",
        "qi_method",
        "evaluate",
        2,
        ["measures", "case_studies"],
        None,
        "How to tell whether the gap between groups is closing, and when not to over-read a chart.",
    ),
    (
        "Sustainability planning guide",
        "qi_method",
        "evaluate",
        3,
        ["sustainability", "phases"],
        None,
        "What to hand over, who owns each measure, and how to keep the gains.",
    ),
    (
        "Writing a case study",
        "template",
        "evaluate",
        0,
        ["case_studies"],
        None,
        "A short structure for sharing what you changed, with the charts that show it.",
    ),
]


def _resources(collaborative, national) -> None:
    for title, category, step, phase, pages, url, summary in RESOURCES:
        if Resource.objects.filter(collaborative=collaborative, title=title).exists():
            continue
        resource = Resource(
            collaborative=collaborative,
            title=title,
            summary=summary,
            category=category,
            step=step,
            phase=phase,
            url=url or "",
            created_by=national,
        )
        if url is None:
            content = f"{title}\n\n{summary}\n".encode()
            name = f"{title.lower().replace(' ', '-').replace('’', '')}.txt"
            resource.file.save(name, ContentFile(content), save=False)
            resource.file_name, resource.file_kind, resource.file_size = name, "text", len(content)
        resource.save()
        ResourcePage.objects.bulk_create([ResourcePage(resource=resource, page=p) for p in pages])

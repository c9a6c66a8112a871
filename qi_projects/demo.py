"""Local design for the demo collaborative: the programme change theory and measure
library, and for each organisation a project, focus populations, a population
profile, an adapted change theory, measures and a coproduction history.

Deterministic and idempotent: an organisation that already has its demo project
is left alone, so running the seed again changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from collaborative.models import Enrolment
from organisations.models import Membership, ProgrammeRole, Role

from .models import (
    ChangeTheory,
    CoproductionEntry,
    FocusPopulation,
    ImprovementProject,
    Kind,
    PopulationProfile,
    ProfileRow,
    ProgrammeChangeTheory,
)

PROGRAMME_AIM = (
    "Reduce the inequalities in access to, experience of and outcomes from mental health care faced by the "
    "groups each organisation identifies, working with the people affected."
)

# (primary driver, [(secondary driver, [change ideas])])
PROGRAMME_DRIVERS = [
    (
        "Services people can reach and trust",
        [
            (
                "Routes in that communities trust",
                ["Self-referral and community referral routes", "Clinics held in community and faith venues"],
            ),
            (
                "Flexible, person-centred contact",
                ["Evening and weekend appointments", "Appointment reminders in first languages and easy read"],
            ),
        ],
    ),
    (
        "Coproduction and community partnership",
        [
            (
                "Lived experience in decision-making",
                ["Paid lived-experience partners on the project team", "Community panel reviews data every quarter"],
            ),
            ("Partnerships with voluntary and faith organisations", ["Joint posts with community organisations"]),
        ],
    ),
    (
        "Data and a workforce that act on inequality",
        [
            (
                "Equality data that are complete and used",
                [
                    "Improve recording of ethnicity and other protected characteristics",
                    "Monthly equality dashboard reviewed by the team",
                ],
            ),
            (
                "A culturally competent workforce",
                ["Culturally informed training co-delivered by people with lived experience"],
            ),
        ],
    ),
]

CENSUS = "Census 2021 (ONS), residents of the area"

# One plan per demo organisation, in the order of collaborative.demo.ORGANISATIONS.
PLANS = [
    {
        "title": "Fair and fast access to early intervention in psychosis",
        "aim": "Raise the share of Black African and Caribbean people referred to early intervention who start "
        "treatment within two weeks from 41% to 65% by March 2027, closing the gap with White British people.",
        "target": ("65", "%", date(2027, 3, 31)),
        "focus": [
            (
                "Black African and Caribbean people aged 18 to 35",
                ["ethnicity:M", "ethnicity:N", "ethnicity:P", "age_band:18-24", "age_band:25-34"],
                "",
                "access",
                "Black people are 2.6 times as likely as White British people to reach the service through a "
                "crisis or police route (caseload profile 2023/24), and wait 9 days longer for a first contact.",
                "ethnicity:A",
            ),
            (
                "Young Black men with a first episode of psychosis",
                ["ethnicity:M", "ethnicity:N", "sex:male"],
                "",
                "outcomes",
                "Young Black men were over-represented among readmissions within 90 days (19 of 52).",
                "ethnicity:A",
            ),
        ],
        "profile": (
            "Early intervention caseload by ethnicity",
            "ethnicity",
            "caseload",
            "MHSDS, early intervention caseload, April 2023 to March 2024",
            2024,
            [
                ("A", 412000, 230),
                ("C", 21000, 14),
                ("D", 6500, 9),
                ("H", 18000, 10),
                ("J", 15500, 8),
                ("M", 9800, 31),
                ("N", 12400, 38),
                ("R", 3100, 1),
                ("S", 5200, 4),
            ],
        ),
        "adapt": {
            "Clinics held in community and faith venues": "Clinics at the African and Caribbean community centre"
        },
        "drop": ["Joint posts with community organisations"],
        "add": [
            ("Routes in that communities trust", "Peer support worker from the community at first contact"),
            ("Flexible, person-centred contact", "Same-week assessment for police and crisis referrals"),
        ],
        "measures": [
            ("EIP2W", "41", "65"),
            ("DNA1", "24", "12"),
            ("ETHREC", "88", "97"),
            ("LISTEN", "58", "80"),
            ("RESTR", "14", "9"),
        ],
        "local_measures": [
            dict(
                code="CRISIS",
                name="Referrals arriving through a crisis or police route",
                kind="outcome",
                value_type="proportion",
                operational_definition="Referrals to early intervention whose source is a crisis team, A&E, "
                "police or section 136.",
                numerator_definition="Referrals from crisis, A&E or police routes",
                denominator_definition="All referrals accepted",
                data_source="MHSDS referral source",
                frequency="monthly",
                improvement="decrease",
                dimension="ethnicity",
                reference_category="A",
                baseline="47",
                target="30",
            ),
            dict(
                code="PEERCON",
                name="First contacts with a peer support worker present",
                kind="process",
                value_type="proportion",
                operational_definition="First contacts with people in the focus population at which a peer "
                "support worker was present.",
                numerator_definition="First contacts with a peer support worker",
                denominator_definition="First contacts with the focus population",
                data_source="Team diary",
                frequency="weekly",
                improvement="increase",
                baseline="0",
                target="75",
                tracks="Peer support worker from the community at first contact",
            ),
        ],
        "coproduction": [
            (
                20,
                "8 service users and 3 carers from the African and Caribbean community",
                "identify",
                "consulted",
                "focus_population",
                "Listening event at the community centre.",
                "Chose young people reaching the service through crisis routes as the focus.",
            ),
            (
                55,
                "Lived-experience partners (2, paid), community centre manager",
                "design",
                "co_designed",
                "change_theory",
                "Two workshops adapting the programme change theory.",
                "Added a peer support worker at first contact; moved clinics to the community centre.",
            ),
            (
                70,
                "Lived-experience partners (2), data champion",
                "design",
                "involved",
                "measurement",
                "Reviewed the draft measures and their definitions.",
                "Added the crisis-route measure; dropped a length-of-stay measure partners found meaningless.",
            ),
            (
                160,
                "Community panel (7 members)",
                "deliver",
                "involved",
                "testing",
                "Panel reviewed the first PDSA cycles.",
                "Reminder texts now sent the evening before, not at 8am.",
            ),
            (
                300,
                "Community panel, 2 carers",
                "evaluate",
                "led",
                "measurement",
                "Panel led the six-month review of the data.",
                "Asked for the equality dashboard to be shared publicly.",
            ),
        ],
    },
    {
        "title": "South Asian women's experience of community mental health care",
        "aim": "Increase the share of South Asian women who say they felt listened to and understood from 46% to "
        "75% by September 2026.",
        "target": ("75", "%", date(2026, 9, 30)),
        "focus": [
            (
                "South Asian women",
                ["ethnicity:H", "ethnicity:J", "ethnicity:K", "sex:female"],
                "",
                "experience",
                "Experience survey 2023: 46% of South Asian women felt listened to against 71% of White British "
                "women; complaints mention interpreters and family involvement.",
                "ethnicity:A",
            ),
        ],
        "profile": (
            "Community mental health caseload by ethnicity",
            "ethnicity",
            "caseload",
            "Trust patient record, community teams, 2023",
            2023,
            [("A", 301000, 2900), ("H", 41000, 210), ("J", 52000, 260), ("K", 18000, 80), ("M", 7000, 90)],
        ),
        "adapt": {
            "Appointment reminders in first languages and easy read": "Reminders and letters in Urdu, Punjabi "
            "and Bengali"
        },
        "drop": ["Community panel reviews data every quarter"],
        "add": [("Flexible, person-centred contact", "Women-only clinic sessions with a female clinician")],
        "measures": [("LISTEN", "46", "75"), ("DNA1", "31", "18"), ("ETHREC", "91", "98"), ("EIP2W", "55", "65")],
        "local_measures": [
            dict(
                code="INTERP",
                name="Appointments needing an interpreter that had one",
                kind="process",
                value_type="proportion",
                operational_definition="Appointments where the record says an interpreter is needed and one "
                "(not a family member) was present.",
                numerator_definition="Appointments with a professional interpreter",
                denominator_definition="Appointments where an interpreter is needed",
                data_source="Interpreting service bookings",
                frequency="monthly",
                improvement="increase",
                baseline="62",
                target="95",
                tracks="Reminders and letters in Urdu, Punjabi and Bengali",
            ),
        ],
        "coproduction": [
            (
                30,
                "South Asian women's group (12 women)",
                "identify",
                "consulted",
                "focus_population",
                "Focus group with the local women's centre.",
                "Confirmed experience, not access, as the main gap.",
            ),
            (
                75,
                "4 women with lived experience, 1 interpreter",
                "design",
                "co_designed",
                "change_theory",
                "Co-design sessions in Urdu and English.",
                "Added women-only sessions; rewrote the aim in their words.",
            ),
            (
                90,
                "4 women with lived experience",
                "design",
                "involved",
                "measurement",
                "Reviewed the experience questions.",
                "The survey question is now asked in three languages.",
            ),
        ],
    },
    {
        "title": "Reducing detentions of Black men under the Mental Health Act",
        "aim": "Reduce detentions of Black men under the Mental Health Act from 310 to 220 per 100,000 a year by "
        "December 2026.",
        "target": ("220", "per 100,000", date(2026, 12, 31)),
        "focus": [
            (
                "Black men",
                ["ethnicity:M", "ethnicity:N", "ethnicity:P", "sex:male"],
                "",
                "outcomes",
                "Detention rate for Black men 3.9 times that of White British men (2023/24, MHSDS).",
                "ethnicity:A",
            ),
        ],
        "profile": (
            "Detentions by ethnicity",
            "ethnicity",
            "detentions",
            "MHSDS detentions 2023/24, residents of the ICB",
            2024,
            [
                ("A", 690000, 610),
                ("C", 45000, 48),
                ("H", 30000, 22),
                ("J", 25000, 25),
                ("M", 16000, 70),
                ("N", 22000, 81),
                ("S", 9000, 12),
            ],
        ),
        "adapt": {"Joint posts with community organisations": "Joint crisis posts with Black-led community groups"},
        "drop": ["Evening and weekend appointments"],
        "add": [
            ("Routes in that communities trust", "Crisis café run with a Black-led community organisation"),
            (
                "A culturally competent workforce",
                "Police and AMHP training on the Patient and Carer Race Equality Framework",
            ),
        ],
        "measures": [
            ("MHADET", "310", "220"),
            ("ETHREC", "85", "95"),
            ("RESTR", "19", "12"),
            ("REFRATE", "980", "1100"),
        ],
        "local_measures": [
            dict(
                code="S136",
                name="Section 136 detentions of Black men",
                kind="outcome",
                value_type="value",
                unit="detentions",
                value_is_count=True,
                operational_definition="Section 136 detentions of Black men resident in the ICB, per month.",
                data_source="Police and MHSDS",
                frequency="monthly",
                improvement="decrease",
                baseline="21",
                target="12",
            ),
            dict(
                code="CAFE",
                name="Crisis café visits by Black men",
                kind="process",
                value_type="value",
                unit="visits",
                value_is_count=True,
                operational_definition="Visits to the crisis café by men who describe themselves as Black.",
                data_source="Café visit log",
                frequency="weekly",
                improvement="increase",
                baseline="0",
                target="25",
                tracks="Crisis café run with a Black-led community organisation",
            ),
        ],
        "coproduction": [
            (
                15,
                "Black-led community organisations (3), 5 men with experience of detention",
                "identify",
                "involved",
                "focus_population",
                "Community conversations in two venues.",
                "Focused on men aged 18 to 45.",
            ),
            (
                60,
                "5 men with experience of detention, 2 carers",
                "design",
                "led",
                "change_theory",
                "Men with lived experience led the design of the crisis café.",
                "Crisis café added as a change idea.",
            ),
            (
                80,
                "Lived-experience partners, PCREF group",
                "design",
                "consulted",
                "measurement",
                "Measures shared with the PCREF group.",
                "Added section 136 detentions as a separate measure.",
            ),
        ],
    },
    {
        "title": "Talking therapies for people in the most deprived neighbourhoods",
        "aim": "Increase referrals to talking therapies from the most deprived fifth of neighbourhoods from 620 to "
        "900 per 100,000 a year by June 2027, with recovery rates equal to the least deprived.",
        "target": ("900", "per 100,000", date(2027, 6, 30)),
        "focus": [
            (
                "People in the most deprived IMD quintile",
                ["imd_quintile:1"],
                "",
                "access",
                "Referral rate in quintile 1 is half that of quintile 5; recovery 38% against 52%.",
                "imd_quintile:5",
            ),
            (
                "People with no fixed address",
                ["inclusion_health:homeless"],
                "People using the two town-centre day centres",
                "access",
                "Day-centre staff report no referrals in 2024 despite frequent distress.",
                "rest",
            ),
        ],
        "profile": (
            "Talking therapies referrals by deprivation",
            "imd_quintile",
            "referrals",
            "Westbrook Mind referral log 2024",
            2024,
            [("1", 52000, 310), ("2", 48000, 360), ("3", 45000, 390), ("4", 41000, 420), ("5", 39000, 480)],
        ),
        "adapt": {"Self-referral and community referral routes": "Self-referral at food banks and day centres"},
        "drop": ["Monthly equality dashboard reviewed by the team", "Clinics held in community and faith venues"],
        "add": [("Flexible, person-centred contact", "Phone or walk-in first session, no letters needed")],
        "measures": [("REFRATE", "620", "900"), ("RECOV", "38", "50"), ("DNA1", "29", "18")],
        "local_measures": [
            dict(
                code="FOODBANK",
                name="Self-referrals made at food banks and day centres",
                kind="process",
                value_type="value",
                unit="referrals",
                value_is_count=True,
                operational_definition="Self-referrals recorded as made at a food bank or day centre session.",
                data_source="Referral log",
                frequency="weekly",
                improvement="increase",
                baseline="0",
                target="6",
                tracks="Self-referral at food banks and day centres",
            ),
            dict(
                code="WAITD",
                name="Median days from referral to first session",
                kind="balancing",
                value_type="value",
                unit="days",
                operational_definition="Median days between referral and first session for referrals whose "
                "first session was in the month.",
                data_source="Referral log",
                frequency="monthly",
                improvement="decrease",
                baseline="34",
                target="21",
            ),
        ],
        "coproduction": [
            (
                25,
                "Food bank volunteers, 6 service users",
                "identify",
                "consulted",
                "focus_population",
                "Conversations at two food banks.",
                "Added people with no fixed address as a second focus.",
            ),
            (
                70,
                "Peer researchers (3), day-centre users",
                "design",
                "co_designed",
                "change_theory",
                "Peer researchers ran two design sessions.",
                "Walk-in first session added.",
            ),
            (
                85,
                "Peer researchers (3)",
                "design",
                "involved",
                "measurement",
                "Peer researchers reviewed the measures.",
                "Waiting time added as a balancing measure.",
            ),
        ],
    },
    {
        "title": "Access to crisis care for people whose first language is not English",
        "aim": "Halve the gap in crisis-line use between people whose first language is not English and English "
        "speakers by December 2027.",
        "target": ("50", "% smaller gap", date(2027, 12, 31)),
        "focus": [
            (
                "People whose first language is not English",
                ["first_language:not_english"],
                "",
                "access",
                "Crisis-line callers needing an interpreter: 0.4% of calls against 6% of the population.",
                "first_language:english",
            ),
        ],
        "profile": (
            "Crisis line calls by first language",
            "first_language",
            "caseload",
            "Crisis line call records, 2025",
            2025,
            [("english", 380000, 9100), ("not_english", 26000, 40)],
        ),
        "adapt": {},
        "drop": ["Evening and weekend appointments"],
        "add": [("Routes in that communities trust", "Crisis line number promoted through community radio")],
        "measures": [("ETHREC", "80", "95"), ("DNA1", "27", "15"), ("LISTEN", "60", "75")],
        "local_measures": [
            dict(
                code="INTCALL",
                name="Crisis-line calls with an interpreter",
                kind="outcome",
                value_type="value",
                unit="calls",
                value_is_count=True,
                operational_definition="Calls to the crisis line in which a telephone interpreter joined.",
                data_source="Crisis line call records",
                frequency="monthly",
                improvement="increase",
                baseline="3",
                target="20",
            ),
            dict(
                code="RADIO",
                name="Community radio slots",
                kind="process",
                value_type="value",
                unit="slots",
                value_is_count=True,
                operational_definition="Community radio slots promoting the crisis line, in the month.",
                data_source="Project log",
                frequency="monthly",
                improvement="increase",
                baseline="0",
                target="4",
                tracks="Crisis line number promoted through community radio",
            ),
        ],
        "coproduction": [
            (
                30,
                "Refugee and migrant forum (9 members)",
                "identify",
                "involved",
                "focus_population",
                "Forum meeting with interpreters.",
                "Confirmed language as the main barrier to crisis care.",
            ),
            (
                70,
                "Refugee and migrant forum",
                "design",
                "consulted",
                "change_theory",
                "Draft change theory shared for comments.",
                "Community radio idea suggested by the forum.",
            ),
        ],
    },
    {
        "title": "Mental health care for Gypsy, Roma and Traveller communities",
        "aim": "Double the number of people from Gypsy, Roma and Traveller communities in contact with "
        "community mental health services, from 14 to 30, by March 2028.",
        "target": ("30", "people", date(2028, 3, 31)),
        "focus": [
            (
                "Gypsy, Roma and Traveller communities",
                ["inclusion_health:grt"],
                "Families on the three permanent sites and roadside encampments",
                "access",
                "14 people in contact with services in 2025 against an expected 60 from the population size.",
                "rest",
            ),
        ],
        "profile": (
            "Community caseload by inclusion-health group",
            "inclusion_health",
            "caseload",
            "ICB population health data 2025",
            2025,
            [("grt", 3100, 14), ("homeless", 900, 40), ("none", 520000, 8600)],
        ),
        "adapt": {},
        "drop": [],
        "add": [("Routes in that communities trust", "Outreach with the site liaison officers")],
        "measures": [("ETHREC", "78", "95"), ("REFRATE", "450", "900"), ("DNA1", "38", "20")],
        "local_measures": [
            dict(
                code="GRTCON",
                name="People from GRT communities in contact with services",
                kind="outcome",
                value_type="value",
                unit="people",
                value_is_count=True,
                operational_definition="People recorded as Gypsy, Roma or Traveller with an open community "
                "referral at the end of the month.",
                data_source="ICB population health data",
                frequency="quarterly",
                improvement="increase",
                baseline="14",
                target="30",
            ),
            dict(
                code="SITEVIS",
                name="Outreach visits to sites",
                kind="process",
                value_type="value",
                unit="visits",
                value_is_count=True,
                operational_definition="Joint outreach visits to sites and encampments by the team and liaison "
                "officers.",
                data_source="Outreach log",
                frequency="monthly",
                improvement="increase",
                baseline="0",
                target="4",
                tracks="Outreach with the site liaison officers",
            ),
        ],
        "coproduction": [
            (
                40,
                "Site liaison officers, 3 community members",
                "identify",
                "informed",
                "focus_population",
                "Project explained at a site meeting.",
                "Community members asked for visits, not letters.",
            ),
        ],
    },
]


def _at(day: date, hour: int = 11) -> datetime:
    """A time on `day`, never later than now (the newest organisations started only weeks ago)."""
    return min(timezone.make_aware(datetime.combine(day, time(hour))), timezone.now())


def seed_programme(collaborative, national) -> ProgrammeChangeTheory:
    theory = ProgrammeChangeTheory.for_collaborative(collaborative)
    if theory.version:
        return theory
    start = collaborative.start_date - timedelta(days=30)
    theory.set_aim(PROGRAMME_AIM, by=national, based_on=0)
    for primary, secondaries in PROGRAMME_DRIVERS:
        theory.add_element(Kind.PRIMARY, primary, by=national, based_on=theory.version)
        p = theory.added
        for secondary, ideas in secondaries:
            theory.add_element(Kind.SECONDARY, secondary, "", p, by=national, based_on=theory.version)
            s = theory.added
            for idea in ideas:
                theory.add_element(Kind.CHANGE_IDEA, idea, "", s, by=national, based_on=theory.version)
    theory.versions.update(created_at=_at(start))
    theory.elements.update(created_at=_at(start))
    return theory


def _seed_profile(organisation, project, profile_plan, start: date) -> None:
    ptitle, dimension, compared, source, year, rows = profile_plan
    profile = PopulationProfile.objects.create(
        organisation=organisation,
        project=project,
        title=ptitle,
        dimension=dimension,
        population_source=CENSUS,
        population_year=2021,
        compared=compared,
        caseload_source=source,
        caseload_year=year,
        created_at=_at(start + timedelta(days=20)),
    )
    for category, population, caseload in rows:
        ProfileRow.objects.create(
            organisation=organisation, profile=profile, category=category, population=population, caseload=caseload
        )


def seed_organisation(organisation, plan: dict, programme: ProgrammeChangeTheory, lead, start: date) -> None:
    title = plan["title"]
    if ImprovementProject.objects.filter(organisation=organisation, title=title).exists():
        return
    value, unit, target_date = plan["target"]
    project = ImprovementProject.objects.create(
        organisation=organisation,
        title=title,
        aim=plan["aim"],
        target_value=Decimal(value),
        target_unit=unit,
        target_date=target_date,
        created_by=lead,
        created_at=_at(start + timedelta(days=10)),
    )
    for name, groups, described, inequality, evidence, reference in plan["focus"]:
        when = _at(start + timedelta(days=35))
        FocusPopulation.objects.create(
            organisation=organisation,
            project=project,
            name=name,
            groups=groups,
            local_description=described,
            inequality=inequality,
            evidence=evidence,
            reference_group=reference,
            created_at=when,
            updated_at=when,
        )
    _seed_profile(organisation, project, plan["profile"], start)

    # The change theory: a copy of the programme's, then adapted over a few weeks.
    theory = ChangeTheory.start(project, by=lead, programme=programme)
    day = start + timedelta(days=45)
    stamps = [(theory.version, day)]

    def find(text):
        return theory.elements.get(text=text, removed_at=None)

    for old, new in plan["adapt"].items():
        theory.update_element(find(old), new, by=lead, based_on=theory.version)
        day += timedelta(days=3)
        stamps.append((theory.version, day))
    for parent, text in plan["add"]:
        theory.add_element(Kind.CHANGE_IDEA, text, "", find(parent), by=lead, based_on=theory.version)
        day += timedelta(days=2)
        stamps.append((theory.version, day))
    for text in plan["drop"]:
        theory.remove_element(find(text), by=lead, based_on=theory.version)
        day += timedelta(days=1)
        stamps.append((theory.version, day))
    for number, when in stamps:
        theory.versions.filter(number=number).update(created_at=_at(when, 14))
    ChangeTheory.objects.filter(pk=theory.pk).update(
        updated_at=_at(day, 14), created_at=_at(start + timedelta(days=45))
    )

    today = timezone.localdate()
    for days, who, step, level, topic, activity, changed in plan["coproduction"]:
        when = min(start + timedelta(days=days), today)
        CoproductionEntry.objects.create(
            organisation=organisation,
            project=project,
            date=when,
            who=who,
            step=step,
            level=level,
            topic=topic,
            activity=activity,
            what_changed=changed,
            created_by=lead,
            created_at=_at(when, 17),
        )


def seed(collaborative, organisations) -> None:
    """Called by collaborative.demo.seed() with scopes disabled."""
    national = (
        ProgrammeRole.objects.filter(collaborative=collaborative, role=Role.NATIONAL).select_related("user").first()
    )
    programme = seed_programme(collaborative, national.user if national else None)
    for organisation, plan in zip(organisations, PLANS, strict=False):
        membership = Membership.objects.filter(organisation=organisation, role=Role.LEAD).select_related("user").first()
        enrolment = Enrolment.objects.filter(collaborative=collaborative, organisation=organisation).first()
        start = enrolment.start_date if enrolment else collaborative.start_date
        seed_organisation(organisation, plan, programme, membership.user if membership else None, start)

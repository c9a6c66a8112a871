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
from measures.models import Measure, MeasureTemplate
from organisations.models import Assignment, Membership, ProgrammeRole, Role

from .models import (
    ChangeTheory,
    CoproductionEntry,
    FocusPopulation,
    ImprovementProject,
    Kind,
    PopulationProfile,
    ProfileRow,
    ProgrammeChangeTheory,
    Stage,
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

LIBRARY = [
    dict(
        code="EIP2W",
        name="Started early intervention treatment within 2 weeks of referral",
        kind="outcome",
        value_type="proportion",
        operational_definition="People referred with a first episode of psychosis who started a NICE-recommended "
        "care package within 14 days of referral, by month of referral.",
        numerator_definition="Referrals in the month with treatment started within 14 days",
        denominator_definition="Referrals to early intervention accepted in the month",
        data_source="Mental Health Services Data Set (MHSDS)",
        frequency="monthly",
        improvement="increase",
        dimension="ethnicity",
        reference_category="A",
        guidance="The NHS access standard is 60%; break it down by ethnicity to see the gap.",
    ),
    dict(
        code="MHADET",
        name="Detentions under the Mental Health Act per 100,000 adults",
        kind="outcome",
        value_type="rate",
        rate_per=100000,
        operational_definition="New detentions under sections 2, 3, 4, 135 and 136 of adults resident in the area.",
        numerator_definition="Detentions starting in the quarter",
        denominator_definition="Adult resident population (ONS mid-year estimate)",
        data_source="MHSDS and ONS population estimates",
        frequency="quarterly",
        improvement="decrease",
        dimension="ethnicity",
        reference_category="A",
        guidance="Black people are detained at over three times the rate of White people nationally.",
    ),
    dict(
        code="REFRATE",
        name="Referrals per 100,000 population",
        kind="outcome",
        value_type="rate",
        rate_per=100000,
        operational_definition="Referrals received for residents of the area, per 100,000 residents.",
        numerator_definition="Referrals received in the month",
        denominator_definition="Resident population",
        data_source="Local patient record and ONS population estimates",
        frequency="monthly",
        improvement="increase",
        dimension="imd_quintile",
        reference_category="5",
    ),
    dict(
        code="DNA1",
        name="Missed first appointments",
        kind="process",
        value_type="proportion",
        operational_definition="First appointments offered in the month that the person did not attend, "
        "without cancelling in advance.",
        numerator_definition="First appointments not attended",
        denominator_definition="First appointments offered",
        data_source="Local patient record",
        frequency="monthly",
        improvement="decrease",
        dimension="ethnicity",
        reference_category="A",
    ),
    dict(
        code="ETHREC",
        name="Ethnicity recorded with a valid code",
        kind="process",
        value_type="proportion",
        operational_definition="People on the caseload at the end of the month with an ethnic category other "
        "than Z (not stated) or 99 (not known).",
        numerator_definition="Caseload with a valid ethnic category",
        denominator_definition="Caseload at the end of the month",
        data_source="MHSDS",
        frequency="monthly",
        improvement="increase",
    ),
    dict(
        code="LISTEN",
        name="Felt listened to and understood",
        kind="outcome",
        value_type="proportion",
        operational_definition="Feedback responses answering 'always' or 'mostly' to 'Did you feel listened to "
        "and understood?'.",
        numerator_definition="Responses 'always' or 'mostly'",
        denominator_definition="All responses to the question",
        data_source="Local experience survey",
        frequency="quarterly",
        improvement="increase",
        dimension="ethnicity",
        reference_category="A",
    ),
    dict(
        code="RECOV",
        name="Reliable recovery in talking therapies",
        kind="outcome",
        value_type="proportion",
        operational_definition="Courses of treatment ending in the month with reliable improvement and moving "
        "to recovery, of those that ended above caseness.",
        numerator_definition="Finished courses with reliable recovery",
        denominator_definition="Finished courses that started above caseness",
        data_source="NHS Talking Therapies data set",
        frequency="monthly",
        improvement="increase",
        dimension="imd_quintile",
        reference_category="5",
    ),
    dict(
        code="RESTR",
        name="Restrictive interventions per 1,000 occupied bed days",
        kind="balancing",
        value_type="rate",
        rate_per=1000,
        operational_definition="Physical, chemical and mechanical restraint and seclusion episodes on inpatient "
        "wards, per 1,000 occupied bed days.",
        numerator_definition="Restrictive intervention episodes",
        denominator_definition="Occupied bed days",
        data_source="MHSDS",
        frequency="monthly",
        improvement="decrease",
        dimension="ethnicity",
        reference_category="A",
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
    theory.edit(theory._set_aim, PROGRAMME_AIM, by=national, based_on=0)
    for primary, secondaries in PROGRAMME_DRIVERS:
        theory.edit(theory._add, Kind.PRIMARY, primary, by=national, based_on=theory.version)
        p = theory._last_element
        for secondary, ideas in secondaries:
            theory.edit(theory._add, Kind.SECONDARY, secondary, "", p, by=national, based_on=theory.version)
            s = theory._last_element
            for idea in ideas:
                theory.edit(theory._add, Kind.CHANGE_IDEA, idea, "", s, by=national, based_on=theory.version)
    theory.versions.update(created_at=_at(start))
    theory.elements.update(created_at=_at(start))
    for template in LIBRARY:
        MeasureTemplate.objects.get_or_create(collaborative=collaborative, code=template["code"], defaults=template)
    return theory


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
    ptitle, dimension, compared, source, year, rows = plan["profile"]
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

    # The change theory: a copy of the programme's, then adapted over a few weeks.
    theory = ChangeTheory.start(project, by=lead, programme=programme)
    day = start + timedelta(days=45)
    stamps = [(theory.version, day)]

    def find(text):
        return theory.elements.get(text=text, removed_at=None)

    for old, new in plan["adapt"].items():
        theory.edit(theory._update, find(old), new, by=lead, based_on=theory.version)
        day += timedelta(days=3)
        stamps.append((theory.version, day))
    for parent, text in plan["add"]:
        theory.edit(theory._add, Kind.CHANGE_IDEA, text, "", find(parent), by=lead, based_on=theory.version)
        day += timedelta(days=2)
        stamps.append((theory.version, day))
    for text in plan["drop"]:
        theory.edit(theory._remove, find(text), by=lead, based_on=theory.version)
        day += timedelta(days=1)
        stamps.append((theory.version, day))
    for number, when in stamps:
        theory.versions.filter(number=number).update(created_at=_at(when, 14))
    ChangeTheory.objects.filter(pk=theory.pk).update(
        updated_at=_at(day, 14), created_at=_at(start + timedelta(days=45))
    )

    library = {t.code: t for t in MeasureTemplate.objects.filter(collaborative=programme.collaborative)}
    for code, baseline, target in plan["measures"]:
        template = library[code]
        Measure.objects.create(
            organisation=organisation,
            project=project,
            library_source=template,
            baseline=Decimal(baseline),
            target=Decimal(target),
            created_at=_at(start + timedelta(days=80)),
            **template.as_initial(),
        )
    for fields in plan["local_measures"]:
        fields = dict(fields)
        tracks = fields.pop("tracks", None)
        Measure.objects.create(
            organisation=organisation,
            project=project,
            tracks=find(tracks) if tracks else None,
            baseline=Decimal(fields.pop("baseline")),
            target=Decimal(fields.pop("target")),
            created_at=_at(start + timedelta(days=80)),
            **fields,
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
    today = timezone.localdate()
    coaches = {
        a.organisation_id: a.user
        for a in Assignment.objects.filter(organisation__in=organisations, role=Role.COACH).select_related("user")
    }
    for organisation in organisations:
        membership = Membership.objects.filter(organisation=organisation, role=Role.LEAD).select_related("user").first()
        seed_pdsa(organisation, membership.user if membership else None, coaches.get(organisation.pk), today)


# --- Testing and scaling up: change ideas through their lifecycle, PDSA ramps, coach comments ----

# For each lifecycle stage, the Act decisions of the idea's ramp, oldest first. The last
# cycle of a "testing" ramp is still running ("doing"), studied ("studying") or planned.
RAMPS = [
    (Stage.SUSTAINED, ["adapt", "adapt", "adopt", "adopt"]),
    (Stage.SPREADING, ["adapt", "adopt", "adopt"]),
    (Stage.ADOPTED, ["adapt", "adapt", "adopt"]),
    (Stage.TESTING, ["adapt", "adapt", "doing"]),
    (Stage.ABANDONED, ["adapt", "abandon"]),
    (Stage.TESTING, ["adapt", "studying"]),
    (Stage.IDEA, []),
]
OBJECTIVES = [
    "Try it with one team for two weeks",
    "Adapt it after the first cycle: change the timing and invite carers",
    "Test it with two teams for a month",
    "Run it across the service as standard practice",
]
OUTCOMES = {
    "adapt": (
        "Take-up was lower than predicted (5 of 14 offered); staff found the booking step slow.",
        "Below the prediction: 36% took it up against the 50% we expected.",
        "People wanted it, but the booking step put them off; the partners suggested a phone call first.",
        "Simplify booking, phone first, and test again with the evening slot.",
    ),
    "adopt": (
        "11 of 14 offered took it up; no extra staff time once the script was familiar.",
        "Above the prediction: 79% against 50%, and missed first appointments fell in the pilot team.",
        "It works once staff know the script; carers valued being asked.",
        "Make it standard practice and test it at the next site.",
    ),
    "abandon": (
        "2 of 15 offered took it up; families told the panel it felt like being singled out.",
        "Far below the prediction: 13% against 50%.",
        "Not the right change for this group: the panel pointed us to the peer support route instead.",
        "Stop this change; put the effort into the peer support route.",
    ),
}
COACH_COMMENTS = [
    "Good that the prediction was written down first. What did the lived-experience partners make of the take-up?",
    "Can you break the results down for the focus group? The overall figure may hide the gap.",
    "This is a good ramp: small, quick cycles. Worth sharing at the next learning set.",
]


def _ramp_measures(project, idea) -> list:
    measures = list(Measure.objects.filter(project=project).order_by("code"))
    chosen = [m for m in measures if m.tracks_id == idea.pk]
    for kind in ("outcome", "process"):
        first = next((m for m in measures if m.kind == kind and m not in chosen), None)
        if first is not None and len(chosen) < 2:
            chosen.append(first)
    return chosen


def seed_pdsa(organisation, lead, coach, today: date) -> None:
    """Change ideas at every lifecycle stage, each tested in a ramp of 2 to 6 cycles, with coach comments."""
    from collaborative.models import Phase

    from . import feedback
    from .models import ChangeIdeaMove, ChangeTheoryElement, Comment, Notification, PdsaCycle

    if PdsaCycle.objects.filter(organisation=organisation).exists():
        return
    testing = Phase.objects.filter(organisation=organisation, number=2, actual_start__isnull=False).first()
    project = ImprovementProject.objects.filter(organisation=organisation).first()
    if testing is None or project is None:
        return
    ideas = list(
        ChangeTheoryElement.objects.filter(
            organisation=organisation, diagram__project=project, kind=Kind.CHANGE_IDEA, removed_at=None
        ).order_by("pk")
    )
    start = testing.actual_start + timedelta(days=14)
    last_day = today - timedelta(days=5)
    window = max((last_day - start).days, 60)
    through = PdsaCycle.measures.through
    links, comment_rows = [], []
    for index, (idea, (stage, decisions)) in enumerate(zip(ideas, RAMPS, strict=False)):
        if not decisions:
            continue
        step = window // (len(decisions) + 1)
        begin = start + timedelta(days=7 * index)
        measures = _ramp_measures(project, idea)
        previous, cycles = None, []
        for number, decision in enumerate(decisions, start=1):
            planned_start = begin + timedelta(days=step * (number - 1))
            length = max(7, min(21, step - 5))
            cycle = PdsaCycle(
                organisation=organisation,
                project=project,
                change_idea=idea,
                number=number,
                previous=previous,
                objective=f"{idea.text}: {OBJECTIVES[min(number, len(OBJECTIVES)) - 1].lower()}",
                questions="Will people from the focus group take it up? What gets in the way?",
                prediction="At least half of the people from the focus group offered it will take it up, and "
                "fewer will miss their first appointment.",
                who="Project lead, two clinicians and a lived-experience partner",
                where="The pilot team" if number < 3 else "Two community teams",
                planned_start=planned_start,
                planned_end=planned_start + timedelta(days=length),
                data_collection="Tally of offers and take-up by ethnicity, kept by reception; DNA figures from "
                "the patient record.",
                created_by=lead,
                created_at=_at(planned_start - timedelta(days=3)),
            )
            if decision == "planned" or planned_start > last_day:
                cycle.status = PdsaCycle.Status.PLANNED
                cycle.planned_start = today + timedelta(days=7)
                cycle.planned_end = today + timedelta(days=28)
                cycle.created_at = _at(today - timedelta(days=2))
            else:
                happened, results, learning, next_step = OUTCOMES.get(decision, OUTCOMES["adapt"])
                cycle.actual_start = planned_start
                cycle.what_was_done = "Offered as planned at every first contact with the focus group."
                if decision == "doing":
                    cycle.status = PdsaCycle.Status.DOING
                else:
                    cycle.actual_end = min(cycle.planned_end + timedelta(days=2), last_day)
                    cycle.what_happened = happened
                    cycle.problems = "Two staff were off sick in week one; the tally sheet went missing once."
                    cycle.results, cycle.learning = results, learning
                    cycle.status = PdsaCycle.Status.STUDYING
                    if decision != "studying":
                        cycle.status = PdsaCycle.Status.COMPLETED
                        cycle.decision, cycle.next_step = decision, next_step
                        cycle.completed_at = _at(cycle.actual_end + timedelta(days=3))
            cycle.save()
            links += [through(pdsacycle_id=cycle.pk, measure_id=m.pk) for m in measures]
            cycles.append(cycle)
            previous = cycle if decision == "adapt" or decision == "adopt" else None
        _demo_moves(organisation, idea, stage, cycles, lead, ChangeIdeaMove)
        for number, cycle in enumerate(cycles[:2]):
            comment_rows.append(
                Comment(
                    organisation=organisation,
                    cycle=cycle,
                    author=coach,
                    body=COACH_COMMENTS[(index + number) % len(COACH_COMMENTS)],
                    created_at=_at(cycle.actual_end or cycle.planned_start, 16),
                )
            )
        comment_rows.append(
            Comment(
                organisation=organisation,
                change_idea=idea,
                author=coach,
                body=f"@{lead.email} the ramp for this idea tells a clear story. Which measure will show it first?"
                if lead
                else "The ramp for this idea tells a clear story.",
                created_at=_at(cycles[-1].planned_start, 15),
            )
        )
    PdsaCycle.measures.through.objects.bulk_create(links)
    comments = Comment.objects.bulk_create(comment_rows)
    for comment in comments:
        feedback.notify(comment)
    # The lead has read all but the latest feedback.
    newest = sorted(comments, key=lambda c: c.created_at)[-2:]
    Notification.objects.filter(organisation=organisation).exclude(comment__in=newest).update(
        read_at=_at(today - timedelta(days=1))
    )


def _demo_moves(organisation, idea, stage, cycles, lead, ChangeIdeaMove) -> None:
    """The moves that took the idea to `stage`, each with the cycles and words that justified it."""
    completed = [c for c in cycles if c.status == "completed"]
    adopted_by = next((c for c in completed if c.decision == "adopt"), None)
    path = [(Stage.IDEA, Stage.TESTING, cycles[0], [cycles[0]], f"Cycle 1 logged: {cycles[0].objective}")]
    if stage in (Stage.ADOPTED, Stage.SPREADING, Stage.SUSTAINED) and adopted_by is not None:
        path.append(
            (
                Stage.TESTING,
                Stage.ADOPTED,
                adopted_by,
                completed[: completed.index(adopted_by) + 1],
                f"Cycle {adopted_by.number} beat its prediction after {adopted_by.number - 1} adaptations; "
                "the process measure moved with it.",
            )
        )
    if stage in (Stage.SPREADING, Stage.SUSTAINED):
        path.append(
            (Stage.ADOPTED, Stage.SPREADING, cycles[-1], [cycles[-1]], "Adopted in the pilot team; spreading next.")
        )
    if stage == Stage.SUSTAINED:
        path.append(
            (
                Stage.SPREADING,
                Stage.SUSTAINED,
                cycles[-1],
                [],
                "Running as standard practice for six months with the measure holding at its new level.",
            )
        )
    if stage == Stage.ABANDONED:
        path.append(
            (Stage.TESTING, Stage.ABANDONED, cycles[-1], [cycles[-1]], "Take-up far below the prediction twice.")
        )
    spread = ("North community team\nSouth community team\nCrisis team", "All community teams by March 2027")
    for offset, (source, target, cycle, evidence_cycles, evidence) in enumerate(path):
        when = cycle.completed_at or _at(cycle.planned_start)
        move = ChangeIdeaMove.objects.create(
            organisation=organisation,
            change_idea=idea,
            from_stage=source,
            to_stage=target,
            evidence=evidence,
            spreading_to=spread[0] if target == Stage.SPREADING else "",
            spread_target=spread[1] if target == Stage.SPREADING else "",
            by=lead,
            at=when + timedelta(days=offset * 30 if target == Stage.SUSTAINED else offset),
        )
        if evidence_cycles:
            move.cycles.set(evidence_cycles)
    spreading = stage in (Stage.SPREADING, Stage.SUSTAINED)
    type(idea).objects.filter(pk=idea.pk).update(
        stage=stage,
        stage_changed_at=move.at,
        spreading_to=spread[0] if spreading else "",
        spread_target=spread[1] if spreading else "",
    )

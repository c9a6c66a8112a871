"""The evaluator's data package (DESIGN.md section 6): a registry of tables and a streaming builder.

Each table is a name, a description, its columns (each with a description and
a kind: `id`, `category`, `date`, `count`, `rate`, `score`, `text`, `flag`)
and a generator of rows. `build(collaborative, out)` writes one zip: a CSV per
table, an XLSX workbook with a sheet per table, `data_dictionary.csv`
(`file,column,description,kind` for every column of every CSV) and
`README.txt`. Rows are read with `.iterator(chunk_size=...)` or in batches of
measures and written straight to the zip and to openpyxl's write-only sheets
(each spooled to its own temporary file), so no table is ever held whole in
memory, whatever the number of organisations.

What the package may show (the disclosure rules of `measures/disclosure.py`):

- Organisations appear under their pseudonym (`evaluation.pseudonyms`) unless
  the national team allows names for the collaborative.
- Every column of kind `count` is a count of people or events suppressed and
  rounded: `*` under 5 (including 0), otherwise the nearest 5; grids are
  written whole (a combination with nothing in it is a 0, shown as `*`), so a
  missing row gives nothing away. A `rate` is worked out from the rounded
  counts and is `*` when either is. No total is published beside its parts.
- Free text an organisation typed is written only where it names the work
  (an aim is not, a measure's name and definition are; nothing is written of
  a focus population's evidence, of feedback comments or of assessment notes,
  which may hold figures or people).
- Signals and sustained-improvement results are categories and dates worked out
  from the organisation's data: they carry no figure of it.

Every text cell is neutralised against formula injection (`organisations.exports`).

To add a table (as `evaluation/package_sustaining.py` adds `approach_feedback`
and `sustainability_scores`), write its rows generator beside the others, or in
the app that owns the data, and register it::

    @package.table(
        "sustainability_scores",
        "Each project's NHS Sustainability Model self-assessments: one row per assessment and factor.",
        [
            ("organisation", "category", "The organisation's pseudonym (or name, where allowed)."),
            ("factor", "category", "The Sustainability Model factor."),
            ("score", "score", "The team's score for the factor."),
        ],
    )
    def sustainability_scores(context):
        for row in Assessment.objects.filter(...).values_list(...).iterator(chunk_size=2000):
            yield [context.label(row[0]), ...]

Tables are written in the order they are registered; a module registering
tables must be imported before a build (import it at the end of this module,
or from the owning app's `AppConfig.ready`). The data dictionary, the README
and the tests (every column described, nothing unsuppressed) follow by themselves.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from django.db.models import Count, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from measures.disclosure import SUPPRESSED, suppress_count, suppress_rate
from organisations.exports import csv_writer, xlsx_cell

KINDS = ("id", "category", "date", "count", "rate", "score", "text", "flag")
DICTIONARY = "data_dictionary.csv"
WORKBOOK = "evaluation_package.xlsx"
README = "README.txt"
CHUNK = 5000
MEASURE_BATCH = 100  # measures whose charts are worked out together (a bounded number of points in memory)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[Context], Iterable[Sequence[object]]]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


TABLES: dict[str, Table] = {}


def register(table_: Table) -> Table:
    if table_.name in TABLES or table_.file in (DICTIONARY, WORKBOOK, README):
        raise ValueError(f"a package table named {table_.name!r} exists already")
    if len(table_.name) > 31:
        raise ValueError(f"{table_.name!r}: a sheet name holds at most 31 characters")
    TABLES[table_.name] = table_
    return table_


def table(name: str, description: str, columns: Sequence[tuple[str, str, str]]):
    """Register the decorated generator `rows(context)` as the package table `name`."""

    def decorator(function):
        register(Table(name, description, tuple(Column(*c) for c in columns), function))
        return function

    return decorator


@dataclass
class Context:
    """What every table's rows are about: one collaborative, its enrolled organisations and their labels."""

    collaborative: object
    organisation_ids: list[int]
    labels: dict[int, str]
    today: date
    names_allowed: bool = False
    generated_at: datetime = field(default_factory=timezone.now)

    def label(self, organisation_id) -> str:
        return self.labels.get(organisation_id, "")


def context_for(collaborative, today: date | None = None) -> Context:
    from collaborative.models import Enrolment

    from .pseudonyms import enrolled_labels

    with scopes_disabled():
        ids = sorted(
            set(Enrolment.objects.filter(collaborative=collaborative).values_list("organisation_id", flat=True))
        )
    labels = enrolled_labels(collaborative)
    # Rows go out in the order of their labels, so the order tells nothing about when an organisation joined.
    ids.sort(key=lambda pk: (labels.get(pk, ""), pk))
    return Context(
        collaborative=collaborative,
        organisation_ids=ids,
        labels=labels,
        today=today or timezone.localdate(),
        names_allowed=collaborative.evaluation_names_allowed,
    )


# --- Cells --------------------------------------------------------------------------


def count(n) -> object:
    """A count as published: `*` under 5 (including 0 and missing), otherwise rounded to 5."""
    published = suppress_count(n or 0)
    return SUPPRESSED if published is None else published


def rate(numerator, denominator, scale: float = 1.0) -> object:
    """A rate from the rounded counts, in its unit: `*` when either count is suppressed."""
    published = suppress_rate(numerator or 0, denominator or 0)
    return SUPPRESSED if published is None else round(published * scale, 4)


def flag(value) -> str:
    if value is None:
        return ""
    return "yes" if value else "no"


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _xlsx_cell(value):
    if value is None or value == "":
        return None  # an empty cell is left out of the sheet's XML altogether: a large sheet writes much faster
    if isinstance(value, datetime):
        return xlsx_cell(value.isoformat())  # an aware datetime cannot be an Excel date: keep it as ISO text
    return xlsx_cell(value)


# --- Building -----------------------------------------------------------------------

Progress = Callable[[int, int, str], None]  # (tables done, tables in all, the table being written)


def build(collaborative, out, *, version: int | None = None, progress: Progress | None = None, today=None) -> dict:
    """Write the package for `collaborative` as a zip to `out` (a path, or a binary file open for writing).

    Calls `progress(done, total, name)` before each table and once at the end
    (with `name` ""). Runs under `scopes_disabled()`: it reads every enrolled
    organisation, but only through the tables' disclosure-controlled rows.
    Returns {table name: rows written}.
    """
    from openpyxl import Workbook

    tables = list(TABLES.values())
    total = len(tables)
    written: dict[str, int] = {}
    with scopes_disabled():
        context = context_for(collaborative, today)
        book = Workbook(write_only=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, table_ in enumerate(tables):
                if progress:
                    progress(done, total, table_.name)
                written[table_.name] = _write_table(archive, book, table_.file, table_.name, table_, context)
            _write_rows(archive, book, DICTIONARY, "data_dictionary", dictionary_rows(tables))
            with tempfile.TemporaryDirectory(prefix="amhe-package-") as folder:
                path = os.path.join(folder, WORKBOOK)
                book.save(path)
                archive.write(path, WORKBOOK)
            archive.writestr(README, readme(context, tables, version))
    if progress:
        progress(total, total, "")
    return written


def _write_table(archive, book, file: str, title: str, table_: Table, context: Context) -> int:
    header = table_.header

    def checked():
        yield header
        for row in table_.rows(context):
            if len(row) != len(header):
                raise ValueError(f"{table_.name}: a row of {len(row)} cells for {len(header)} columns")
            yield row

    return _write_rows(archive, book, file, title, checked()) - 1


def _write_rows(archive, book, file: str, title: str, rows: Iterable[Sequence[object]]) -> int:
    """Stream rows into `file` in the zip and into a sheet `title`; returns the rows written (header included)."""
    sheet = book.create_sheet(title=title[:31])
    n = 0
    entry = zipfile.ZipInfo(file, date_time=timezone.localtime().timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    with archive.open(entry, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv_writer(text)
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
            sheet.append([_xlsx_cell(v) for v in row])
            n += 1
        text.flush()
        text.detach()
    return n


def dictionary_rows(tables: Sequence[Table]) -> Iterator[list[str]]:
    yield ["file", "column", "description", "kind"]
    for table_ in tables:
        for column in table_.columns:
            yield [table_.file, column.name, column.description, column.kind]
    for name, description, kind in DICTIONARY_COLUMNS:
        yield [DICTIONARY, name, description, kind]


DICTIONARY_COLUMNS = [
    ("file", "The CSV file the column is in (the workbook has a sheet of the same name).", "category"),
    ("column", "The column's name, as in the file's header row.", "category"),
    ("description", "What the column holds.", "text"),
    ("kind", "id, category, date, count, rate, score, text or flag.", "category"),
]


def readme(context: Context, tables: Sequence[Table], version: int | None) -> str:
    c = context.collaborative
    names = (
        "named (the national team allows names for this collaborative)"
        if context.names_allowed
        else "under stable pseudonyms (Organisation XXXXXX), the same in every version"
    )
    lines = [
        "Advancing mental health equality collaborative: evaluation data package",
        "",
        f"Collaborative: {c.name} ({c.slug})",
        f"Version: {version if version is not None else 'exported from the command line (unversioned)'}",
        f"Generated at: {context.generated_at.isoformat(timespec='seconds')}",
        f"Organisations: {names}",
        "",
        "Files",
        f"- One CSV per table (UTF-8, comma separated, header row), and {WORKBOOK} with a sheet per table.",
        f"- {DICTIONARY}: file, column, description and kind of every column of every CSV.",
        "",
        "Disclosure control",
        "- Counts of people or events (kind 'count') under 5, including 0, are shown as *; others are rounded to",
        "  the nearest 5. Grids are complete: a combination with nothing in it is a 0, shown as *.",
        "- Rates (kind 'rate') are worked out from the rounded counts, in the measure's unit, and are * when",
        "  either count is. A value that counts people or events is rounded like a count.",
        "- No total is given beside its parts. Signals and sustained-improvement results are categories and",
        "  dates: they carry no figure of the data.",
        "- Cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)",
        "  are prefixed with an apostrophe.",
        "",
        "Kinds: id (an identifier, stable within the package), category, date (YYYY-MM-DD), count, rate,",
        "score, text (free text as typed), flag (yes or no).",
        "",
        "Tables",
    ]
    for table_ in tables:
        lines.append(f"- {table_.file}: {table_.description}")
    return "\n".join(lines) + "\n"


def read_back(path_or_file) -> dict[str, list[list[str]]]:
    """Each CSV of a package as rows of strings (for tests and checks)."""
    with zipfile.ZipFile(path_or_file) as archive:
        return {
            name: list(csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8", newline="")))
            for name in archive.namelist()
            if name.endswith(".csv")
        }


# --- The tables ---------------------------------------------------------------------

ORGANISATION = ("organisation", "category", "The organisation: its stable pseudonym, or its name where allowed.")
MEASURE_ID = ("measure_id", "id", "The measure (measures.csv).")


@table(
    "organisations",
    "Each organisation enrolled in the collaborative: type, NHS England region, current phase.",
    [
        ORGANISATION,
        ("type", "category", "The kind of organisation (mental health trust, integrated care board, ...)."),
        ("region", "category", "The NHS England region; blank when not recorded."),
        (
            "current_phase",
            "category",
            "The phase it is in now: 1 local design, 2 testing and scaling up, 3 sustaining.",
        ),
        ("current_phase_name", "category", "The current phase's name."),
        ("enrolled_on", "date", "The date its enrolment started."),
        ("still_enrolled", "flag", "yes while it takes part; no once its enrolment has ended."),
    ],
)
def organisations_rows(context: Context):
    from collaborative.models import Enrolment, Phase
    from organisations.models import Organisation

    phase_names = dict(Phase.Number.choices)
    kinds, regions = dict(Organisation.Kind.choices), dict(Organisation.Region.choices)
    enrolments = {}
    rows = (
        Enrolment.objects.filter(collaborative=context.collaborative)
        .with_flags(context.today)
        .order_by("active", "start_date")  # the active one, else the latest, wins
        .values_list(
            "organisation_id", "organisation__kind", "organisation__region", "current_phase", "start_date", "active"
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        enrolments[row[0]] = row
    for organisation_id in context.organisation_ids:
        _, kind, region, phase, start, active = enrolments[organisation_id]
        yield [
            context.label(organisation_id),
            kinds.get(kind, kind),
            regions.get(region, region),
            phase or "",
            phase_names.get(phase, ""),
            start,
            flag(active),
        ]


@table(
    "focus_populations",
    "Each project's focus populations: the group facing inequality, the kind of inequality, the comparison.",
    [
        ORGANISATION,
        ("project_id", "id", "The improvement project."),
        ("focus_population_id", "id", "The focus population."),
        ("name", "text", "How the team describes the group."),
        ("groups", "category", "The coded groups (dimension:category), separated by ';'; blank for a local group."),
        ("inequality", "category", "The type of inequality: access, experience or outcomes."),
        ("reference_group", "category", "The group it is compared with."),
    ],
)
def focus_population_rows(context: Context):
    from qi_projects.models import FocusPopulation

    kinds = dict(FocusPopulation.Inequality.choices)
    rows = (
        FocusPopulation.objects.filter(organisation_id__in=context.organisation_ids)
        .order_by("organisation_id", "project_id", "pk")
        .values_list("organisation_id", "project_id", "pk", "name", "groups", "inequality", "reference_group")
    )
    for org, project, pk, name, groups, inequality, reference in rows.iterator(chunk_size=CHUNK):
        yield [context.label(org), project, pk, name, ";".join(groups or []), kinds.get(inequality), reference]


@table(
    "programme_change_theory",
    "The programme-level change theory (driver diagram) that local change theories adapt.",
    [
        ("programme_element_id", "id", "The programme driver or change idea."),
        ("kind", "category", "Primary driver, secondary driver or change idea."),
        ("text", "text", "Its wording."),
        ("parent_id", "id", "The driver it sits under (programme_element_id); blank for a primary driver."),
        ("removed", "flag", "yes when it has been taken out of the programme change theory."),
    ],
)
def programme_change_theory_rows(context: Context):
    from qi_projects.models import Kind, ProgrammeElement

    kinds = dict(Kind.choices)
    rows = (
        ProgrammeElement.objects.filter(diagram__collaborative=context.collaborative)
        .order_by("pk")
        .values_list("pk", "kind", "text", "parent_id", "removed_at")
    )
    for pk, kind, text, parent, removed in rows.iterator(chunk_size=CHUNK):
        yield [pk, kinds.get(kind, kind), text, parent, flag(removed is not None)]


@table(
    "change_theories",
    "Each local change theory's drivers and change ideas, with their lineage from the programme change theory.",
    [
        ORGANISATION,
        ("project_id", "id", "The improvement project."),
        ("element_id", "id", "The local driver or change idea."),
        ("kind", "category", "Primary driver, secondary driver or change idea."),
        ("text", "text", "Its wording."),
        ("parent_id", "id", "The local driver it sits under (element_id); blank for a primary driver."),
        ("programme_element_id", "id", "The programme element it was copied from; blank for a local one."),
        ("lineage", "category", "programme (kept as the programme worded it), adapted (edited) or local (its own)."),
        ("stage", "category", "A change idea's stage: idea, testing, adopted, spreading, sustained or abandoned."),
        ("removed", "flag", "yes when the team took it out of their change theory."),
    ],
)
def change_theory_rows(context: Context):
    from qi_projects.models import ChangeTheoryElement, Kind, Stage

    kinds, stages = dict(Kind.choices), dict(Stage.choices)
    rows = (
        ChangeTheoryElement.objects.filter(organisation_id__in=context.organisation_ids)
        .order_by("organisation_id", "diagram__project_id", "pk")
        .values_list(
            "organisation_id",
            "diagram__project_id",
            "pk",
            "kind",
            "text",
            "parent_id",
            "source_id",
            "adapted",
            "stage",
            "removed_at",
        )
    )
    for org, project, pk, kind, text, parent, source, adapted, stage, removed in rows.iterator(chunk_size=CHUNK):
        lineage = "local" if source is None else ("adapted" if adapted else "programme")
        yield [
            context.label(org),
            project,
            pk,
            kinds.get(kind, kind),
            text,
            parent,
            source,
            lineage,
            stages.get(stage, stage) if kind == Kind.CHANGE_IDEA else "",
            flag(removed is not None),
        ]


@table(
    "measures",
    "Each organisation's measures: what is measured, how, and which way is better.",
    [
        MEASURE_ID,
        ORGANISATION,
        ("project_id", "id", "The improvement project the measure belongs to."),
        ("code", "category", "The organisation's code for the measure."),
        ("name", "text", "The measure's name."),
        ("kind", "category", "Outcome, process or balancing measure."),
        ("value_type", "category", "proportion, rate or value."),
        ("unit", "category", "The unit its rates or values are in (%, per 1,000, days, ...)."),
        ("frequency", "category", "How often it is collected: weekly, monthly or quarterly."),
        ("improvement", "category", "Which way is better: increase, decrease or neutral."),
        ("dimension", "category", "The equality dimension it is broken down by; blank if none."),
        ("reference_category", "category", "The reference group of that dimension."),
        ("value_is_count", "flag", "yes when a plain value counts people or events (published like a count)."),
        ("programme_measure", "category", "The code of the programme library measure it was copied from, if any."),
        ("tracks_element_id", "id", "The driver or change idea it tracks (change_theories.csv), if any."),
        ("operational_definition", "text", "Exactly what is counted, who is included and excluded."),
    ],
)
def measure_rows(context: Context):
    from measures.models import Measure
    from measures.series import scale_and_unit

    rows = (
        Measure.objects.filter(organisation_id__in=context.organisation_ids)
        .select_related("library_source")
        .order_by("organisation_id", "code")
    )
    for m in rows.iterator(chunk_size=CHUNK):
        _, unit = scale_and_unit(m)
        yield [
            m.pk,
            context.label(m.organisation_id),
            m.project_id,
            m.code,
            m.name,
            m.kind,
            m.value_type,
            unit.strip(),
            m.frequency,
            m.improvement,
            m.dimension,
            m.reference_category,
            flag(m.value_is_count),
            m.library_source.code if m.library_source_id else "",
            m.tracks_id,
            m.operational_definition,
        ]


@table(
    "series",
    "Every data point of every measure and group (stratum), disclosure-controlled.",
    [
        MEASURE_ID,
        ORGANISATION,
        ("stratum", "category", "all for the whole population, or dimension:category for a group."),
        ("period_start", "date", "The first day of the period."),
        ("numerator", "count", "For a proportion or rate: the count, rounded to 5 (* under 5); blank for a value."),
        ("denominator", "count", "For a proportion or rate: out of how many, rounded (* under 5); blank for a value."),
        ("rate", "rate", "numerator / denominator of the rounded counts, in the measure's unit; * when either is *."),
        ("value", "score", "For a plain value that is not a count: the value, in the measure's unit."),
        ("value_count", "count", "For a plain value that counts people or events: rounded to 5 (* under 5)."),
        ("unit", "category", "The unit of rate or value."),
    ],
)
def series_rows(context: Context):
    from measures.models import DataPoint, Measure
    from measures.series import published

    measures = Measure.objects.filter(organisation_id__in=context.organisation_ids).in_bulk()
    order = {pk: i for i, pk in enumerate(context.organisation_ids)}
    for organisation_id in sorted(order, key=order.get):
        points = (
            DataPoint.objects.filter(organisation_id=organisation_id)
            .order_by("measure_id", "stratum", "period_start")
            .values_list("measure_id", "stratum", "period_start", "numerator", "denominator", "value")
        )
        label = context.label(organisation_id)
        for measure_id, stratum, period, numerator, denominator, value in points.iterator(chunk_size=CHUNK):
            measure = measures[measure_id]
            figures = published(measure, numerator, denominator, value)
            n, d, _, shown_value = figures.cells()
            has_counts = numerator is not None or denominator is not None
            shown_rate = (SUPPRESSED if figures.rate is None else round(figures.rate, 4)) if has_counts else ""
            yield [
                measure_id,
                label,
                stratum,
                period,
                n,
                d,
                shown_rate,
                "" if measure.value_is_count else shown_value,
                shown_value if measure.value_is_count else "",
                figures.unit.strip(),
            ]


def _measure_batches(context: Context):
    from measures.models import Measure

    ids = list(
        Measure.objects.filter(organisation_id__in=context.organisation_ids)
        .order_by("organisation_id", "code")
        .values_list("pk", flat=True)
    )
    order = {pk: i for i, pk in enumerate(context.organisation_ids)}
    for start in range(0, len(ids), MEASURE_BATCH):
        batch = list(Measure.objects.filter(pk__in=ids[start : start + MEASURE_BATCH]).select_related("chart_settings"))
        batch.sort(key=lambda m: (order.get(m.organisation_id, 0), m.code))
        yield batch


@table(
    "signals",
    "Each measure's and group's SPC chart as of its latest point: variation, assurance, special cause.",
    [
        MEASURE_ID,
        ORGANISATION,
        ("stratum", "category", "all for the whole population, or dimension:category for a group."),
        ("chart", "category", "The chart: p, u, xmr or run (a run chart until there are 10 points)."),
        ("rules", "category", "The rule set: mdc (Making Data Count, 2023) or mdc-pre2023; anhoej for a run chart."),
        ("first_period", "date", "The chart's first period."),
        ("last_period", "date", "The chart's latest period."),
        ("variation", "category", "The latest point's type: common_cause, special_cause_improvement, ..."),
        (
            "assurance",
            "category",
            "Whether the target is met reliably: consistent_pass, consistent_fail, inconsistent.",
        ),
        ("special_cause", "category", "The rule the latest point breaks, if any (above_upper, run_below, ...)."),
        ("trial_limits", "flag", "yes when some limits rest on fewer than 12 points."),
        ("run_signal", "flag", "For a run chart: yes when the Anhøj rules find a shift."),
    ],
)
def signal_rows(context: Context):
    # Worked out here rather than through the shared SPC cache: every group of every measure is read once,
    # in one query a batch, and thousands of charts nobody has opened are not written to the cache.
    from measures.models import DataPoint
    from measures.series import build_series, chart_for

    for batch in _measure_batches(context):
        points = defaultdict(list)
        rows = (
            DataPoint.objects.filter(measure__in=batch)
            .order_by("measure_id", "stratum", "period_start")
            .values_list("measure_id", "stratum", "period_start", "numerator", "denominator", "value")
        )
        for measure_id, stratum, *point in rows.iterator(chunk_size=CHUNK):
            points[(measure_id, stratum)].append(_Point(stratum, *point))
        for m in batch:
            settings = getattr(m, "chart_settings", None)
            strata = sorted((s for pk, s in points if pk == m.pk), key=lambda s: (s != "all", s))
            for stratum in strata:
                # Each group on its own period axis, as its chart page draws it (measures.series.cached_charts).
                series = build_series(points.pop((m.pk, stratum)), m.frequency)[stratum]
                yield _signal_row(context, m, stratum, chart_for(m, series, settings))


class _Point(NamedTuple):
    stratum: str
    period_start: date
    numerator: int | None
    denominator: int | None
    value: object


def _signal_row(context: Context, measure, stratum: str, result) -> list:
    periods = result.series.periods
    last = None
    if result.chart is not None:
        last = next((p for p in reversed(result.chart.points) if p.value is not None), None)
    return [
        measure.pk,
        context.label(measure.organisation_id),
        stratum,
        result.kind,
        "anhoej" if result.kind == "run" else result.rules,
        periods[0] if periods else None,
        periods[-1] if periods else None,
        result.variation or "",
        result.assurance or "",
        (last.special_cause or "") if last is not None else "",
        flag(result.chart.trial) if result.chart is not None else "",
        flag(result.run.signal) if result.run is not None else "",
    ]


@table(
    "sustained",
    "Sustained improvement after the first adopted change, per measure and for its equality gap "
    "(evaluation/sustained.py states the standard).",
    [
        MEASURE_ID,
        ORGANISATION,
        ("change_adopted_on", "date", "The day the first change idea the measure shows was moved to Adopted."),
        ("change_idea", "text", "That change idea."),
        ("change_period", "date", "The first period on or after that day: the new level is measured from here."),
        ("chart", "text", "The chart the result rests on, in words."),
        ("rules", "category", "The SPC rule set: mdc (Making Data Count, 2023) or mdc-pre2023."),
        ("status", "category", "sustained, not_sustained, no_shift, worse, too_few_points, no_change or no_direction."),
        ("status_label", "text", "The status in words."),
        ("reason", "text", "Why, in plain words (no figure of the data)."),
        ("shift_from", "date", "The first period of the shift in the improving direction, if any."),
        ("trial_baseline", "flag", "yes when the baseline before the change rests on fewer than 12 points."),
        ("gap_focus", "category", "The focus group of the equality gap, if the measure has one."),
        ("gap_reference", "category", "The group it is compared with."),
        ("gap_status", "category", "The same standard applied to the gap (towards no gap is better)."),
        ("gap_reason", "text", "Why, in plain words."),
        ("gap_shift_from", "date", "The first period of the gap's shift towards no gap, if any."),
    ],
)
def sustained_rows(context: Context):
    from .evidence import evidence_for

    for batch in _measure_batches(context):
        found = evidence_for(batch)
        for m in batch:
            e = found.get(m.pk)
            if e is None:
                continue
            gap = e.gap
            yield [
                m.pk,
                context.label(m.organisation_id),
                e.change_on,
                e.change_text,
                e.change_period,
                e.chart_name,
                e.result.rules,
                e.result.status,
                e.result.label,
                e.result.reason,
                e.shift_period,
                flag(e.result.trial_baseline),
                e.gap_focus if gap else "",
                e.gap_reference if gap else "",
                gap.status if gap else "",
                gap.reason if gap else "",
                e.gap_shift_period,
            ]


@table(
    "pdsa_counts",
    "PDSA cycles per organisation by stage, and completed cycles by their decision.",
    [
        ORGANISATION,
        ("status", "category", "planned, doing, studying or completed."),
        ("decision", "category", "For completed cycles: adopt, adapt or abandon."),
        ("cycles", "count", "How many cycles, rounded to 5 (* under 5)."),
    ],
)
def pdsa_count_rows(context: Context):
    from qi_projects.pdsa.models import PdsaCycle

    S, D = PdsaCycle.Status, PdsaCycle.Decision
    grid = [(S.PLANNED, ""), (S.DOING, ""), (S.STUDYING, ""), *((S.COMPLETED, d) for d in D.values)]
    for organisation_id, counts in _grouped(
        context,
        PdsaCycle.objects.filter(organisation_id__in=context.organisation_ids)
        .values("organisation_id", "status", "decision")
        .annotate(n=Count("pk"))
        .values_list("organisation_id", "status", "decision", "n"),
    ):
        for status, decision in grid:
            n = counts.get((status, decision), 0) if status == S.COMPLETED else _sum_status(counts, status)
            yield [context.label(organisation_id), status, decision, count(n)]


def _sum_status(counts: dict, status: str) -> int:
    return sum(n for (s, _), n in counts.items() if s == status)


def _grouped(context: Context, rows) -> Iterator[tuple[int, dict]]:
    """(organisation id, {rest of the key: n}) for every organisation, in the package's order."""
    by_org: dict[int, dict] = defaultdict(dict)
    for organisation_id, *key, n in rows.iterator(chunk_size=CHUNK):
        by_org[organisation_id][tuple(key)] = n
    for organisation_id in context.organisation_ids:
        yield organisation_id, by_org.get(organisation_id, {})


@table(
    "coproduction",
    "Coproduction log entries per organisation and activity (what the involvement was about).",
    [
        ORGANISATION,
        ("activity", "category", "What it was about: focus population, change theory, measurement, testing, other."),
        ("entries", "count", "Involvements logged, rounded to 5 (* under 5)."),
        ("shaping_entries", "count", "Of those, at the levels that shape the work: involved, co-designed, led."),
    ],
)
def coproduction_rows(context: Context):
    from qi_projects.models import CoproductionEntry

    topics = CoproductionEntry.Topic.values
    shaping = Q(level__in=CoproductionEntry.SHAPING_LEVELS)
    rows = (
        CoproductionEntry.objects.filter(organisation_id__in=context.organisation_ids)
        .values("organisation_id", "topic")
        .annotate(n=Count("pk"), shaping=Count("pk", filter=shaping))
        .values_list("organisation_id", "topic", "n", "shaping")
    )
    by_org: dict[int, dict] = defaultdict(dict)
    for organisation_id, topic, n, shaped in rows.iterator(chunk_size=CHUNK):
        by_org[organisation_id][topic] = (n, shaped)
    for organisation_id in context.organisation_ids:
        for topic in topics:
            n, shaped = by_org.get(organisation_id, {}).get(topic, (0, 0))
            yield [context.label(organisation_id), topic, count(n), count(shaped)]


def _learning_sets(context: Context):
    from learning_sets.models import LearningSet

    return (
        LearningSet.objects.filter(collaborative=context.collaborative)
        .exclude(status=LearningSet.Status.DRAFT)
        .order_by("starts_at", "pk")
        .values_list("pk", "title", "starts_at", "status")
    )


LEARNING_SET_COLUMNS = [
    ("learning_set_id", "id", "The learning set."),
    ("title", "text", "Its title."),
    ("date", "date", "The day it took place (or takes place)."),
    ("cancelled", "flag", "yes when it was cancelled."),
]


@table(
    "learning_set_attendance",
    "Registrations and attendance at each learning set, per organisation.",
    [
        *LEARNING_SET_COLUMNS,
        ORGANISATION,
        ("registered", "count", "People from the organisation registered (not on the waiting list), rounded to 5."),
        ("attended", "count", "Of those, recorded as attending, rounded to 5 (* under 5 or not yet recorded)."),
    ],
)
def learning_set_attendance_rows(context: Context):
    from learning_sets.models import LearningSet, Registration

    for pk, title, starts_at, status in _learning_sets(context).iterator(chunk_size=CHUNK):
        rows = (
            Registration.objects.filter(learning_set_id=pk, organisation_id__in=context.organisation_ids)
            .values("organisation_id")
            .annotate(
                registered=Count("pk", filter=Q(status=Registration.Status.REGISTERED)),
                attended=Count("pk", filter=Q(attended=True)),
            )
            .values_list("organisation_id", "registered", "attended")
        )
        found = {org: (r, a) for org, r, a in rows}
        day = timezone.localtime(starts_at).date()
        cancelled = flag(status == LearningSet.Status.CANCELLED)
        for organisation_id in context.organisation_ids:
            registered, attended = found.get(organisation_id, (0, 0))
            yield [pk, title, day, cancelled, context.label(organisation_id), count(registered), count(attended)]


@table(
    "learning_set_feedback",
    "The feedback survey of each learning set: how many answered and how useful they found it (1 to 5).",
    [
        *LEARNING_SET_COLUMNS,
        ("responses", "count", "Surveys returned, rounded to 5 (* under 5)."),
        ("rated_useful", "count", "Of those, rating it 4 or 5 out of 5, rounded to 5 (* under 5)."),
        ("rated_useful_rate", "rate", "rated_useful / responses of the rounded counts, as a %; * when either is *."),
        ("mean_usefulness", "score", "The mean rating (1 to 5) to one decimal place; * under 5 responses."),
    ],
)
def learning_set_feedback_rows(context: Context):
    from django.db.models import Avg

    from learning_sets.models import Feedback, LearningSet

    for pk, title, starts_at, status in _learning_sets(context).iterator(chunk_size=CHUNK):
        summary = Feedback.objects.filter(learning_set_id=pk).aggregate(
            n=Count("pk"), useful=Count("pk", filter=Q(usefulness__gte=4)), mean=Avg("usefulness")
        )
        n, useful = summary["n"], summary["useful"]
        mean = round(float(summary["mean"]), 1) if n >= 5 and summary["mean"] is not None else SUPPRESSED
        yield [
            pk,
            title,
            timezone.localtime(starts_at).date(),
            flag(status == LearningSet.Status.CANCELLED),
            count(n),
            count(useful),
            rate(useful, n, 100),
            mean,
        ]

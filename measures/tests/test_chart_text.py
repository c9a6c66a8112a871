"""User text inside plotly figures cannot become markup (a live link in a hover label)."""

import json
from datetime import date

from collaborative.charts import timeline_figure
from measures import spc
from measures.charts import Annotation, plain, run_figure, spc_figure

LINK = '<a href="https://evil.example">click</a>'


def _strings(figure) -> str:
    return json.dumps(figure)


def test_plain_turns_markup_into_entities():
    assert plain(LINK) == "&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;"
    assert plain("Tees, Esk & Wear") == "Tees, Esk &amp; Wear"


def test_annotation_labels_units_and_titles_are_escaped_in_an_spc_figure():
    periods = [date(2025, m, 1) for m in range(1, 13)]
    chart = spc.xmr_chart([float(v) for v in range(12)])
    notes = [Annotation(periods[3], f"PDSA 1: {LINK}", f"Adopt: {LINK}")]
    figure = spc_figure(chart, periods, unit=f" {LINK}", annotations=notes, title=LINK)
    text = _strings(figure)
    assert "<a href" not in text
    assert "&lt;a href=&quot;https://evil.example&quot;&gt;" in text
    assert "<br>" in text  # our own line break stays markup


def test_run_chart_units_are_escaped():
    figure = run_figure(spc.run_chart([1.0, 2.0, 3.0]), [date(2025, m, 1) for m in (1, 2, 3)], unit=f" {LINK}")
    assert "<a href" not in _strings(figure)


def test_organisation_names_on_the_board_timeline_are_escaped():
    class Phase:
        number, planned_start, planned_end, actual_start, actual_end = (
            1,
            date(2025, 1, 1),
            date(2025, 6, 30),
            None,
            None,
        )

    class Organisation:
        name = f"Trust {LINK}"

    figure = timeline_figure([{"organisation": Organisation(), "phases": [Phase()]}], date(2025, 3, 1))
    assert "<a href" not in _strings(figure)

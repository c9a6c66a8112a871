"""The driver diagram's drawing: four columns, every element a box, every parent joined to its children."""

from types import SimpleNamespace

from qi_projects.diagram_svg import COLUMN_WIDTH, GAP, layout


def node(text, children=(), id=0, kind="change_idea"):
    return SimpleNamespace(text=text, children=list(children), id=id, kind=kind)


def test_each_element_is_a_box_in_its_column_joined_to_its_parent():
    tree = SimpleNamespace(
        aim="Close the access gap",
        primaries=[
            node("Reach", [node("Flexible", [node("Evening clinics", id=3), node("Texts", id=4)], id=2)], id=1),
            node("Trust", [], id=5),
        ],
    )
    drawing = layout(tree, lambda n: f"#element-{n.id}")
    by_text = {" ".join(b.lines): b for b in drawing.boxes}
    assert set(by_text) == {"Close the access gap", "Reach", "Flexible", "Evening clinics", "Texts", "Trust"}
    assert [by_text[t].column for t in ("Close the access gap", "Reach", "Flexible", "Evening clinics")] == [0, 1, 2, 3]
    assert by_text["Evening clinics"].x == 3 * (COLUMN_WIDTH + GAP)
    assert by_text["Evening clinics"].href == "#element-3"
    # aim -> 2 primaries, Reach -> Flexible, Flexible -> 2 ideas
    assert len(drawing.paths) == 5
    # boxes in a column never overlap
    ideas = sorted((b for b in drawing.boxes if b.column == 3), key=lambda b: b.y)
    assert ideas[0].y + ideas[0].height <= ideas[1].y
    # a parent sits between its first and last child
    flexible = by_text["Flexible"]
    assert ideas[0].middle <= flexible.middle <= ideas[1].middle


def test_long_text_wraps_and_an_empty_diagram_still_draws_its_aim():
    drawing = layout(SimpleNamespace(aim="", primaries=[]))
    assert [" ".join(b.lines) for b in drawing.boxes] == ["No aim yet"]
    long = layout(SimpleNamespace(aim="x", primaries=[node("word " * 80, id=1, kind="primary")]))
    primary = next(b for b in long.boxes if b.column == 1)
    assert len(primary.lines) == 6 and primary.lines[-1].endswith("…")

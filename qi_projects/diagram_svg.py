"""The driver diagram drawn as Life QI users expect: aim, primary and secondary drivers and change
ideas as boxes in four columns joined by lines. Laid out here on the server as SVG (no JavaScript;
it scales to one A4 landscape page when printed); the indented list beside it stays for screen
readers. Pure layout: no Django import."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

COLUMN_WIDTH = 230
GAP = 46
CHARS_PER_LINE = 30
LINE_HEIGHT = 17
PADDING = 10
ROW_GAP = 12
COLUMNS = ("Aim", "Primary drivers", "Secondary drivers", "Change ideas")
KIND_CLASS = {0: "aim", 1: "primary", 2: "secondary", 3: "idea"}


@dataclass
class Box:
    column: int
    lines: list[str]
    href: str = ""
    label: str = ""
    x: int = 0
    y: float = 0
    height: int = 0
    css: str = ""
    text_y: list[float] = field(default_factory=list)

    @property
    def width(self) -> int:
        return COLUMN_WIDTH

    @property
    def rows(self) -> list[tuple[str, float]]:
        return list(zip(self.lines, self.text_y, strict=True))

    @property
    def middle(self) -> float:
        return self.y + self.height / 2


@dataclass
class Drawing:
    width: int
    height: int
    boxes: list[Box]
    paths: list[str]
    headings: list[tuple[int, str]]


def _box(column: int, text: str, href: str = "", kind_label: str = "") -> Box:
    most = 12 if column == 0 else 6  # the aim may be long; a driver or idea should not be
    lines = textwrap.wrap(text or "", CHARS_PER_LINE)[:most] or ["(empty)"]
    if len(textwrap.wrap(text or "", CHARS_PER_LINE)) > most:
        lines[-1] = lines[-1][: CHARS_PER_LINE - 1] + "…"
    return Box(
        column=column,
        lines=lines,
        href=href,
        label=f"{kind_label}: {text}" if kind_label else text,
        x=column * (COLUMN_WIDTH + GAP),
        height=len(lines) * LINE_HEIGHT + 2 * PADDING,
        css=KIND_CLASS[column],
    )


def layout(tree, href_for=lambda node: "") -> Drawing:
    """Place every box: leaves stack down the page, each parent centred on its children."""
    boxes: list[Box] = []
    paths: list[str] = []
    top = 30.0

    def place(node, column: int, kind_label: str) -> Box:
        nonlocal top
        box = _box(column, node.text, href_for(node), kind_label)
        children = list(getattr(node, "children", []))
        child_boxes = [
            place(child, column + 1, "Secondary driver" if column == 1 else "Change idea") for child in children
        ]
        if child_boxes:
            box.y = (child_boxes[0].middle + child_boxes[-1].middle) / 2 - box.height / 2
            box.y = max(box.y, child_boxes[0].y)
        else:
            box.y = top
            top += box.height + ROW_GAP
        for child in child_boxes:
            paths.append(_connector(box, child))
        boxes.append(box)
        return box

    primaries = [place(node, 1, "Primary driver") for node in tree.primaries]
    aim = _box(0, tree.aim or "No aim yet", "#aim", "Aim")
    if primaries:
        aim.y = (primaries[0].middle + primaries[-1].middle) / 2 - aim.height / 2
        aim.y = max(aim.y, 30.0)
        for primary in primaries:
            paths.append(_connector(aim, primary))
    else:
        aim.y = 30.0
    boxes.append(aim)
    for box in boxes:
        box.text_y = [box.y + PADDING + LINE_HEIGHT * (i + 0.8) for i in range(len(box.lines))]
    height = int(max((b.y + b.height for b in boxes), default=60) + 10)
    width = 4 * COLUMN_WIDTH + 3 * GAP
    headings = [(i * (COLUMN_WIDTH + GAP), name) for i, name in enumerate(COLUMNS)]
    return Drawing(width, height, sorted(boxes, key=lambda b: (b.column, b.y)), paths, headings)


def _connector(parent: Box, child: Box) -> str:
    x0, y0 = parent.x + parent.width, parent.middle
    x1, y1 = child.x, child.middle
    bend = x0 + GAP / 2
    return f"M{x0:.0f} {y0:.1f} H{bend:.0f} V{y1:.1f} H{x1:.0f}"

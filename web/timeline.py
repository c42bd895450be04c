"""A case's timeline drawn as a picture: one numbered mark per dated fact on a time axis.

Drawn on the server as SVG with drawsvg (a small, pure-Python library: no JavaScript, no
CDN, nothing for `make run` to fetch), so the page is whole when it arrives and prints.
Marks close in time are stacked in lanes so that none hides another. Each mark is a link
to its numbered entry in the list below the picture (label, value, source and locator,
readable without a mouse), and carries that text as its hover title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import drawsvg as draw
from markupsafe import Markup

from kb.catalog import FactView

WIDTH = 800
MARGIN = 36
AXIS_GAP = 30      # from the lowest lane of marks to the axis
LANE = 24          # vertical step between lanes
RADIUS = 10
MIN_SPACING = 2 * RADIUS + 4  # marks nearer than this on the axis go to another lane
DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


class Link(draw.Group):
    """An SVG link (drawsvg draws groups; a link is a group with another tag)."""

    TAG_NAME = "a"


@dataclass(frozen=True)
class Mark:
    number: int
    fact: FactView
    when: float   # the date as a fractional year
    x: float
    lane: int

    @property
    def title(self) -> str:
        where = ", ".join(part for part in (self.fact.source_title, self.fact.locator) if part)
        return f"{self.number}. {self.fact.date}: {self.fact.label}: {self.fact.value}" + (
            f" (source: {where})" if where else "")


def fractional_year(date: str) -> float | None:
    """'2016', '2016-04' or '2016-04-01' as a year with its fraction (None if unreadable)."""
    found = DATE.match(date or "")
    if not found:
        return None
    year, month, day = (int(part) if part else 1 for part in found.groups())
    return year + (min(max(month, 1), 12) - 1) / 12 + (min(max(day, 1), 31) - 1) / 365


def marks(facts: list[FactView]) -> list[Mark]:
    """The dated facts placed on the axis, oldest first, each in the lowest free lane."""
    dated = [(when, fact) for fact in facts
             if (when := fractional_year(fact.date or "")) is not None]
    if not dated:
        return []
    dated.sort(key=lambda pair: pair[0])
    first, last = int(dated[0][0]), int(dated[-1][0]) + 1
    scale = (WIDTH - 2 * MARGIN) / (last - first)
    lanes_end: list[float] = []  # the x of the last mark in each lane
    out = []
    for number, (when, fact) in enumerate(dated, start=1):
        x = MARGIN + (when - first) * scale
        lane = next((i for i, end in enumerate(lanes_end) if x - end >= MIN_SPACING),
                    len(lanes_end))
        if lane == len(lanes_end):
            lanes_end.append(x)
        lanes_end[lane] = x
        out.append(Mark(number, fact, when, x, lane))
    return out


def timeline_svg(facts: list[FactView], *, label: str, anchor: str = "kb-fact") -> Markup:
    """The picture as inline SVG (empty when no fact has a date); each mark links to
    `#{anchor}-{number}`."""
    placed = marks(facts)
    if not placed:
        return Markup("")
    lanes = max(mark.lane for mark in placed) + 1
    axis_y = 12 + lanes * LANE + AXIS_GAP - LANE
    height = axis_y + 28
    first = int(placed[0].when)
    last = int(placed[-1].when) + 1
    scale = (WIDTH - 2 * MARGIN) / (last - first)
    drawing = draw.Drawing(WIDTH, height, id_prefix=anchor, role="group",
                           class_="kb-timeline", aria_label=label,
                           preserveAspectRatio="xMinYMin meet")
    drawing.append(draw.Line(MARGIN, axis_y, WIDTH - MARGIN, axis_y, stroke="#444",
                             stroke_width=2))
    step = max(1, (last - first) // 8)  # at most about nine year labels
    for year in range(first, last + 1, step):
        x = MARGIN + (year - first) * scale
        drawing.append(draw.Line(x, axis_y - 4, x, axis_y + 4, stroke="#444"))
        drawing.append(draw.Text(str(year), 13, x, axis_y + 20, text_anchor="middle",
                                 fill="#222", font_family="sans-serif"))
    for mark in placed:
        y = axis_y - AXIS_GAP + 6 - mark.lane * LANE
        link = Link(href=f"#{anchor}-{mark.number}", class_="kb-mark",
                    data_date=mark.fact.date)  # its name: the title
        link.append_title(mark.title)
        link.append(draw.Line(mark.x, y + RADIUS, mark.x, axis_y, stroke="#8aa4b8"))
        link.append(draw.Circle(mark.x, y, RADIUS, fill="#1d4f73"))
        link.append(draw.Text(str(mark.number), 11, mark.x, y + 4, text_anchor="middle",
                              fill="#fff", font_family="sans-serif", font_weight="bold"))
        drawing.append(link)
    return Markup(drawing.as_svg(header=""))

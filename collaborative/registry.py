"""Hooks that apps higher up fill in at start-up, so code lower down can call them without importing them.

Imports point down (docs/architecture.md): the programme's phases cannot import
local design or measures, and measure charts cannot import PDSA. Instead each
app registers what it offers in its `AppConfig.ready()`:

- `gate_checks`: gate item key -> function(organisation) -> (done, evidence),
  read by `collaborative.phases` for the phase gate checklists;
- `chart_annotations`: source name -> function(measure) -> list of
  `measures.charts.Annotation`, read by the measure chart page;
- `change_adoptions`: source name -> function(measure) -> list of (date, text) of
  changes adopted that the measure should show, read by the chart page's rebase offer.
- `reminder_sources`: source name -> function(now) -> iterable of
  `organisations.deliveries.Due`, read by `collaborative.reminders`
  (`send_due_reminders` and the Celery beat tick). A source returns what is due
  at `now` and not yet done, with its reminder instant inside
  `deliveries.CATCH_UP`; returning the same item on every tick is expected
  (it is recorded once), so a source keeps no state of its own.
- `workspace_notices`: name -> function(user, organisation, today) -> list of
  {"text", "link", "url"} shown at the top of the organisation's workspace
  (the approach feedback survey from `evaluation`); each keeps to a query or two.
- `demo_seeds`: name -> function(collaborative) run by `seed_demo` after the
  programme's own demo, in name order; each must be idempotent (an app adds its
  demo data without the command importing it).

A key nobody registered means "no data check": the item is ticked by hand, the
chart has no such markers.
"""

from __future__ import annotations

from collections.abc import Callable


class Registry:
    def __init__(self, name: str):
        self.name = name
        self._entries: dict[str, Callable] = {}

    def register(self, key: str, function: Callable) -> Callable:
        self._entries[key] = function
        return function

    def get(self, key: str) -> Callable | None:
        return self._entries.get(key)

    def items(self) -> list[tuple[str, Callable]]:
        return sorted(self._entries.items())

    def __contains__(self, key: str) -> bool:
        return key in self._entries


gate_checks = Registry("gate checks")
chart_annotations = Registry("chart annotations")
change_adoptions = Registry("change adoptions")
reminder_sources = Registry("reminder sources")
demo_seeds = Registry("demo seeds")
workspace_notices = Registry("workspace notices")

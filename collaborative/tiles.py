"""Whole dashboard tiles kept in the shared cache, keyed on what they are made of.

A tile's key carries the data version of each of its measures (how many points and
when the latest was saved, `measures.series.data_versions`), a digest of each
measure's definition and chart settings, the day (statuses move with the calendar)
and whatever else the tile reads (the collaborative's data rule). A new or changed
data point, an edited definition or a new day reads a new key, so nothing has to
remember to invalidate; old keys expire. On a hit the page neither asks for the
tile's data status nor renders its markup again.
"""

from __future__ import annotations

import hashlib

from django.template.loader import render_to_string

from measures import series
from organisations import shared_cache

TILE_CACHE_SECONDS = 24 * 3600


def key(name: str, *parts) -> str:
    return f"tile:{name}:" + hashlib.sha1(repr(parts).encode()).hexdigest()


def measure_versions(measures, versions) -> tuple:
    """What a tile of these measures is made of: (id, data version, definition digest) each."""
    return tuple((m.pk, versions.get(m.pk), series._definition_digest(m)) for m in measures)


def cached(tile_key: str, build):
    """The tile under `tile_key`, or `build()` stored there (a cache outage only means building it)."""
    found = shared_cache.get(tile_key)
    if found is not None:
        return found
    value = build()
    shared_cache.set(tile_key, value, TILE_CACHE_SECONDS)
    return value


def render(template: str, context: dict) -> str:
    return render_to_string(template, context)

"""The shared cache for what is only worth keeping, never what must be kept: if Redis is down,
a read is a miss and a write is dropped, so the page still renders (it just computes)."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def get_many(keys) -> dict:
    try:
        return cache.get_many(list(keys))
    except Exception:  # noqa: BLE001  (a cache outage must not break a page)
        logger.warning("shared cache unavailable: read treated as a miss", exc_info=True)
        return {}


def get(key, default=None):
    return get_many([key]).get(key, default)


def set_many(values: dict, timeout: int) -> None:
    try:
        cache.set_many(values, timeout)
    except Exception:  # noqa: BLE001
        logger.warning("shared cache unavailable: write dropped", exc_info=True)


def set(key, value, timeout: int) -> None:  # noqa: A001  (mirrors the cache API)
    set_many({key: value}, timeout)


def delete(key) -> None:
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001
        logger.warning("shared cache unavailable: %s not cleared", key, exc_info=True)

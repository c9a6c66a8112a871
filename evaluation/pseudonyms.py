"""Stable pseudonyms for organisations in everything the evaluation shows or exports.

An organisation appears as "Organisation K7QM2P" unless the national team
allows names for that collaborative (`Collaborative.evaluation_names_allowed`).
The pseudonym is a keyed hash of the organisation's id under the
collaborative's own key (`Collaborative.pseudonym_key`, made once, never
shown), so it is the same on every page and in every package version, tells
nothing about the organisation, and differs between collaboratives. One query
for any number of organisations.
"""

from __future__ import annotations

import hashlib
import hmac

# Crockford's base 32 without I, L, O, U: nothing to misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 6


def _code(key: str, organisation_id: int, length: int = LENGTH) -> str:
    digest = hmac.new(key.encode(), str(organisation_id).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def pseudonym(key: str, organisation_id: int) -> str:
    return f"Organisation {_code(key, organisation_id)}"


def labels(collaborative, organisations) -> dict[int, str]:
    """organisation id -> the label the evaluation uses: its name when allowed, else its pseudonym.

    `organisations` are Organisation rows (their names are read only when names are allowed).
    Two organisations never share a label: on the (one in a billion) chance of equal
    codes, the later id gets a longer code, so earlier labels never change.
    """
    if collaborative.evaluation_names_allowed:
        return {o.pk: o.name for o in organisations}
    result: dict[int, str] = {}
    used: set[str] = set()
    for organisation_id in sorted(o.pk for o in organisations):
        length = LENGTH
        label = pseudonym(collaborative.pseudonym_key, organisation_id)
        while label in used:
            length += 1
            label = f"Organisation {_code(collaborative.pseudonym_key, organisation_id, length)}"
        used.add(label)
        result[organisation_id] = label
    return result


def enrolled_labels(collaborative) -> dict[int, str]:
    """Labels for every organisation enrolled (now or before) in `collaborative`, in one query."""
    from django_scopes import scopes_disabled

    from organisations.models import Organisation

    with scopes_disabled():
        organisations = list(
            Organisation.objects.filter(enrolments__collaborative=collaborative).distinct().only("pk", "name")
        )
    return labels(collaborative, organisations)

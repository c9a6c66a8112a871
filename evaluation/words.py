"""Labels inside sentences (no Django)."""


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: its first letter lower case, unless its first word is an acronym
    ("Round 5 (July 2026)" -> "round 5 (July 2026)", "PDSA cycles" stays; months, names and acronyms later in
    the label keep their capitals because only the first letter changes)."""
    text = str(label)
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[1:2].isupper():
        return text
    return text[:1].lower() + text[1:]

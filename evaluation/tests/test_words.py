"""The evaluation pages' sentence filter."""

from evaluation.words import in_sentence


def test_a_label_in_a_sentence_keeps_its_months_names_and_acronyms():
    assert in_sentence("Round 5 (July 2026)") == "round 5 (July 2026)"
    assert in_sentence("Coaching from your QI coach") == "coaching from your QI coach"
    assert in_sentence("PDSA cycles") == "PDSA cycles"
    assert in_sentence("This platform") == "this platform"
    assert in_sentence("") == ""

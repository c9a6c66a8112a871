"""Access-matrix rows for the programme's pages (see tests/access.py)."""

SITE_PAGES = {
    "collaborative:board": (200, {"national"}),
    "collaborative:evaluation": (200, {"national", "evaluator"}),
}

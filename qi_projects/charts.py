"""Plotly figures (plain dicts) for local design pages."""

NHS_BLUE = "#005eb8"
NHS_RED = "#d5281b"
NHS_GREEN = "#007f3b"
NHS_GREY = "#768692"


def representation_figure(profile, rows) -> dict:
    """Representation ratio by group with its 95% interval, and a line at 1 (fair share)."""
    shown = [r for r in rows if r.ratio is not None]
    labels = [r.label for r in shown]
    colours = [NHS_RED if r.standing == "over" else NHS_BLUE if r.standing == "under" else NHS_GREY for r in shown]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": [round(r.ratio, 3) for r in shown],
                "marker": {"color": colours},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [round(r.upper - r.ratio, 3) if r.upper is not None else 0 for r in shown],
                    "arrayminus": [round(r.ratio - r.lower, 3) if r.lower is not None else 0 for r in shown],
                    "color": "#212b32",
                },
                "hovertemplate": "%{y}: %{x:.2f}<extra></extra>",
                "name": "Representation ratio",
            }
        ],
        "layout": {
            "title": {"text": f"{profile.get_compared_display()} compared with population share"},
            "xaxis": {"title": {"text": "Representation ratio (1 = fair share)"}, "rangemode": "tozero"},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "shapes": [
                {
                    "type": "line",
                    "x0": 1,
                    "x1": 1,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#212b32", "dash": "dash"},
                }
            ],
            "height": max(320, 40 * len(shown) + 140),
            "margin": {"l": 10, "r": 20, "t": 50, "b": 50},
            "showlegend": False,
        },
    }

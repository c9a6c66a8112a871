"""The evaluation app's forms, one module per area (as its models and views are).

- `sustainability.py`: the self-assessment, the sustainability plan, the team's reflections.
- `series.py`: the filters of the series page.
"""

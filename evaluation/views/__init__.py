"""The evaluation app's pages, one module per area (each function one URL; urls.py names them).

- `sustainability.py`: an organisation's self-assessment, plan and end-of-programme report.
- `questions.py`: the evaluation area, one page per question, and the cross-organisation reports.
- `feedback.py`: the approach feedback survey.
- `package.py`: the evaluator package (request, progress, download).
"""

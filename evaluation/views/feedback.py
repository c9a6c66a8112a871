"""The approach feedback survey, /feedback/: a member answers the open round, and may change it until it closes."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from learning_sets.views import error_summary
from organisations import access

from .. import survey


@access.requires("give_approach_feedback")
def approach_feedback(request):
    found = survey.member(request.user)
    current = found.round if found else None
    form = None
    if current is not None:
        form = survey.ApproachFeedbackForm(request.POST or None, instance=found.answer)
        if request.method == "POST" and form.is_valid():
            survey.save(form, request.user, found)
            messages.success(
                request,
                f"Thank you: your answers are saved. You can change them until {current.closes_on:%-d %B %Y}.",
            )
            return redirect("evaluation:feedback")
    context = {
        "member": found,
        "round": current,
        "form": form,
        "errors": error_summary(form) if form is not None else [],
        "today": timezone.localdate(),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "evaluation/feedback.html", context, status=status)

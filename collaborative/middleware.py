from django.http import JsonResponse
from django.shortcuts import render

# A little over the 10 MB file limit, to leave room for the form's other fields.
MAX_REQUEST_BYTES = 10 * 1024 * 1024 + 512 * 1024


class RequestSizeLimitMiddleware:
    """Refuse an oversized upload from its declared length, before reading a byte of it.

    Django streams uploaded files to disk before any view can look at them; this
    answers 413 with a clear page instead of receiving a huge file first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_REQUEST_BYTES:
            if request.path_info.startswith("/api/"):  # the API answers in JSON, whatever went wrong
                return JsonResponse({"error": "The body is too large: send at most 5 MB per request."}, status=413)
            return render(request, "413.html", {"limit_mb": 10}, status=413)
        return self.get_response(request)

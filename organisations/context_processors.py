from django.urls import reverse

from . import access, notifications


def navigation(request):
    """The header's links, by what the signed-in user may do."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    p = access.principal(user)
    if p.team_roles:
        items.append(("My workspace", reverse("home")))
    if access.can(user, "view_programme"):
        items.append(("Programme board", reverse("collaborative:board")))
    if access.can(user, "view_portfolio"):
        items.append(("My organisations", reverse("collaborative:portfolio")))
    if access.can(user, "view_evaluation"):
        items.append(("Evaluation", reverse("evaluation:home")))
    if access.can(user, "view_learning_sets"):
        items.append(("Learning sets", reverse("learning_sets:list")))
    if access.can(user, "view_audit"):
        items.append(("Audit log", reverse("organisations:audit_log")))
    if access.can(user, "view_deliveries"):
        items.append(("Deliveries", reverse("organisations:deliveries")))
    unread = notifications.unread_count(user)
    items.append((f"Notifications ({unread} new)" if unread else "Notifications", reverse("organisations:inbox")))
    items.append(("Account", reverse("account_email")))
    current = request.path
    return {"nav_items": [(label, url, current.startswith(url) and url != "/") for label, url in items]}

from autosales.notifications.selectors import unread_notification_count


def notifications(request):
    """`unread_notifications`: the signed-in staff user's unread count, queried only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {"unread_notifications": 0}
    return {"unread_notifications": lambda: unread_notification_count(user=user)}

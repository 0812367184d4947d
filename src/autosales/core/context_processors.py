from django.conf import settings


def shop(request):
    return {"shop": settings.SHOP}

from django.shortcuts import render

from autosales.catalog.models import Category


def home(request):
    categories = Category.objects.filter(parent__isnull=True)
    return render(request, "storefront/home.html", {"categories": categories})

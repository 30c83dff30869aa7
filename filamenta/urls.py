"""Top-level URLs: Django's admin; each app adds its own below."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]

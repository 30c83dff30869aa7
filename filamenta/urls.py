"""Top-level URLs: Django's admin; each app adds its own below."""

from django.contrib import admin
from django.urls import path

from filamenta.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

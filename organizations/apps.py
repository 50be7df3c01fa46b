"""Stakeholder database: organizations and their focal points."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organizations")

    def ready(self):
        # The directory's cache forgets its pages when what they show changes.
        from . import caching

        caching.connect()

"""Side events, rooms, slots and the public programme."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Side events")

    def ready(self):
        # The public programme's cache forgets its pages when what they show changes.
        from . import caching

        caching.connect()

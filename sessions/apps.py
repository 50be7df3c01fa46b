"""Commission sessions: commissions, their sessions and (later) registrations."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionSessionsConfig(AppConfig):
    name = "sessions"
    # The label "sessions" belongs to django.contrib.sessions.
    label = "commission_sessions"
    verbose_name = _("Commission sessions")

    def ready(self):
        # A session's cached statistics are forgotten when what they count changes.
        from . import statistics

        statistics.connect()

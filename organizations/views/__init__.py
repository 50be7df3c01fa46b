"""Views of the stakeholder database, by audience: directory (everyone), profile (focal points), review (CSU), io (CSU import and export)."""

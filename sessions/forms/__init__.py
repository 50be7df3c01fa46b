"""Forms of sessions and delegations: the session, the registration and its participants, the decisions."""

"""Pages of sessions and registrations, one module per audience."""

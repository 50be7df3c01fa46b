"""Pages of side events, one module per audience."""

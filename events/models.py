"""Side-event models arrive with the side-events issue (#6)."""

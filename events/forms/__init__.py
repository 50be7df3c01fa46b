"""Forms of side events: the application with its speakers, the review, the schedule."""

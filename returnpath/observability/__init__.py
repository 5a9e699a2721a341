"""Health, readiness, metrics and logs (issue 13, item 9; decision 036)."""

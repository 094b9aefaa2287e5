"""Small helpers every layer may use (rate limits, ...); imports nothing of the project."""

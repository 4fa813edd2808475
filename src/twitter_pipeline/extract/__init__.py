"""Extract: talk to the X API v2 (or the emulator, or a saved archive) and yield raw response pages."""

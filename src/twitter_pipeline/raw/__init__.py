"""Raw zone: every response page kept exactly as received, immutable, so transforms can be replayed."""

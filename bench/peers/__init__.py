"""Scripts that run the peers in their own environments (they must not import our package)."""

"""A local X API v2 emulator: the same endpoints, parameters and shapes, over loopback HTTP."""

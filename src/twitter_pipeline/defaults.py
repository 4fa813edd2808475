"""Default values of the settings, importable without loading pydantic (the CLI's options show them)."""

from __future__ import annotations

DEFAULT_API_BASE_URL = "https://api.x.com"
DEFAULT_LAKE = "./lake"
DEFAULT_STORAGE_TIMEOUT = 60.0
DEFAULT_RETENTION_HOURS = 168  # `maintain`: Delta's own default, one week of time travel
# The published pay-per-use rate for "Posts: Read" (docs.x.com/x-api/getting-started/pricing, 2026):
# US$0.005 per post returned. A setting, so a changed price or another plan is one variable away.
DEFAULT_PRICE_PER_POST = 0.005

"""`/2/usage/tweets`: the project's post reads so far, its cap and its reset day, from the served ledger.

The server passes in what it has served (distinct posts per UTC day); this module only validates the
parameters and shapes the spec's `Usage` object: numbers are integers in 2.159 and strings in 2.167,
as each spec types them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from twitter_pipeline.emulator import constants as c
from twitter_pipeline.emulator.api import ApiResponse, EmulatedApi, InvalidRequest

USAGE_PARAMS = ("days", "usage.fields")


def usage(
    raw_query: str, served_by_day: dict[str, int], cap: int, reset_day: int, now: datetime, v167: bool = False
) -> ApiResponse:
    """The Usage body for `days` days back from `now` (raises InvalidRequest on bad parameters)."""
    errors: list[dict[str, Any]] = []
    params = EmulatedApi._parse_params(raw_query)
    EmulatedApi._check_known(params, USAGE_PARAMS, errors)
    days = c.USAGE_DEFAULT_DAYS
    raw_days = params.get("days")
    if raw_days is not None:
        lo, hi = c.USAGE_DAYS_BOUNDS
        if not raw_days.isdigit() or not lo <= int(raw_days) <= hi:
            errors.append(
                {
                    "parameters": {"days": [raw_days]},
                    "message": f"The `days` query parameter value [{raw_days}] is not between {lo} and {hi}",
                }
            )
        else:
            days = int(raw_days)
    fields = EmulatedApi._list_param(params, "usage.fields", c.USAGE_FIELDS, errors) or list(
        c.USAGE_DEFAULT_FIELDS
    )
    if errors:
        raise InvalidRequest(errors)
    number = str if v167 else int
    today = now.date()
    daily = []
    for back in range(days - 1, -1, -1):
        day = (today - timedelta(days=back)).isoformat()
        daily.append({"date": f"{day}T00:00:00.000Z", "usage": number(served_by_day.get(day, 0))})
    project = c.EMULATOR_PROJECT_ID
    full: dict[str, Any] = {
        "cap_reset_day": reset_day,
        "project_cap": number(cap),
        "project_id": project,
        "project_usage": number(sum(served_by_day.values())),
        "daily_project_usage": {"project_id": project if v167 else int(project), "usage": daily},
        "daily_client_app_usage": [
            {"client_app_id": c.EMULATOR_CLIENT_APP_ID, "usage": daily, "usage_result_count": len(daily)}
        ],
    }
    return ApiResponse(200, {"data": {k: v for k, v in full.items() if k in fields}})

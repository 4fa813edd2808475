"""Small window builders for load tests: real TableSpecs (tweets, users, api_errors), few columns set."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from twitter_pipeline.transform.schema import TABLES

UTC = dt.UTC
SPECS = {name: TABLES[name] for name in ("users", "tweets", "api_errors")}


def fetched(hour: int) -> dt.datetime:
    return dt.datetime(2024, 3, 1, hour, tzinfo=UTC)


def created(tweet_id: int) -> dt.datetime:
    """Deterministic creation time: ids 0..n spread over three days of March 2024."""
    return dt.datetime(2024, 3, 1 + tweet_id % 3, 12, tzinfo=UTC)


def _table(name: str, columns: dict[str, list]) -> pa.Table:
    schema = SPECS[name].schema
    n = len(next(iter(columns.values())))
    arrays = [pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(n, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def batch(ids: list[int], hour: int = 1, text: str = "post", author: str = "u1") -> dict[str, pa.Table]:
    """A transform-like batch: tweets with `ids` by `author`, and that author in users."""
    tweets = _table(
        "tweets",
        {
            "id": [str(i) for i in ids],
            "author_id": [author] * len(ids),
            "text": [f"{text} {i}" for i in ids],
            "created_at": [created(i) for i in ids],
            "created_date": [created(i).strftime("%Y-%m-%d") for i in ids],
            "like_count": [i for i in ids],
            "fetched_at": [fetched(hour)] * len(ids),
        },
    )
    users = _table(
        "users", {"id": [author], "username": [f"{author}_at_{hour}"], "fetched_at": [fetched(hour)]}
    )
    return {"tweets": tweets, "users": users}


def api_error_batch(user_id: str, hour: int = 1) -> dict[str, pa.Table]:
    return {
        "api_errors": _table(
            "api_errors",
            {
                "error_key": [f"not-found|user|{user_id}|||"],
                "type": ["https://api.twitter.com/2/problems/resource-not-found"],
                "title": ["Not Found Error"],
                "resource_type": ["user"],
                "resource_id": [user_id],
                "fetched_at": [fetched(hour)],
            },
        )
    }

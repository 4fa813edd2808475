"""Which kind of source a lake holds, recorded on its first write, so synthetic and real posts never mix.

A lake filled by the built-in emulator must never receive live posts (and the reverse): a closed
window loaded from the emulator would otherwise count as complete and hide the real hour forever.
The marker ``<lake>/_source.json`` is created once ("first writer wins"); every later fetching run
compares its kind with it and refuses the other kind in one line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from twitter_pipeline.errors import ConfigError
from twitter_pipeline.storage import LakeStorage

SOURCE_MARKER_KEY = "_source.json"


def _describe(kind: str, base_url: str | None) -> str:
    if kind == "emulator":
        return "synthetic posts from the built-in emulator"
    return f"posts from the X API at {base_url}" if base_url else "posts from the X API"


def read_lake_source(storage: LakeStorage) -> dict[str, Any] | None:
    try:
        data = orjson.loads(storage.read_bytes(SOURCE_MARKER_KEY))
    except FileNotFoundError:
        return None
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def claim_lake_source(storage: LakeStorage, kind: str, base_url: str | None = None) -> None:
    """Record `kind` ('emulator' or 'api') as the lake's source, or refuse a lake of the other kind."""
    body = {
        "kind": kind,
        "base_url": base_url if kind == "api" else None,
        "claimed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if storage.create_exclusive(SOURCE_MARKER_KEY, orjson.dumps(body, option=orjson.OPT_INDENT_2)):
        return
    recorded = read_lake_source(storage)
    if recorded is None:  # removed between the two calls: claim again
        claim_lake_source(storage, kind, base_url)
        return
    held = str(recorded.get("kind") or "")
    if held == kind:
        return
    raise ConfigError(
        f"the lake {storage.uri} holds {_describe(held, recorded.get('base_url'))}; this run would add "
        f"{_describe(kind, base_url)}: use another lake (--lake or TWITTER_PIPELINE_LAKE) so synthetic "
        "and real posts never mix"
    )

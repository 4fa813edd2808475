"""A local X API v2 emulator: the same endpoints, parameters and shapes, over loopback HTTP.

Use it in-process::

    with EmulatorServer(EmulatorConfig(token="t")) as emu:
        httpx.get(f"{emu.base_url}/2/tweets/search/recent", params={"query": DEMO_QUERY},
                  headers={"Authorization": "Bearer t"})

or from the command line: ``twitter-pipeline emulator --port 8750``.
"""

from typing import TYPE_CHECKING, Any

from twitter_pipeline.emulator.config import EmulatorConfig
from twitter_pipeline.emulator.constants import (
    DEFAULT_POSTS_PER_HOUR,
    DEFAULT_SEED,
    DEFAULT_WORLD_START,
    DEMO_QUERY,
    SEARCH_ALL_PATH,
    SEARCH_RECENT_PATH,
)

if TYPE_CHECKING:
    from twitter_pipeline.emulator.server import EmulatorServer, RequestRecord
    from twitter_pipeline.emulator.world import World

# The server and its world load on first use: a CLI command that never serves (``import``, ``sql``)
# does not pay for them at start.
_LAZY = {"EmulatorServer": "server", "RequestRecord": "server", "World": "world"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"twitter_pipeline.emulator.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_POSTS_PER_HOUR",
    "DEFAULT_SEED",
    "DEFAULT_WORLD_START",
    "DEMO_QUERY",
    "SEARCH_ALL_PATH",
    "SEARCH_RECENT_PATH",
    "EmulatorConfig",
    "EmulatorServer",
    "RequestRecord",
    "World",
]

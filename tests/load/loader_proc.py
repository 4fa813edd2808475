"""A loader in its own process, for the concurrent-writers test: ``python -m tests.load.loader_proc``.

Arguments: lake URI, run id, first id, last id (exclusive), batch size. Prints the summary as JSON.
"""

from __future__ import annotations

import sys

import orjson

from tests.load.helpers import SPECS, batch
from twitter_pipeline.load import load_window
from twitter_pipeline.storage import LakeStorage


def main(argv: list[str]) -> int:
    uri, run_id, first, last, size = argv[0], argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    batches = (
        batch(list(range(start, min(start + size, last))), hour=2) for start in range(first, last, size)
    )
    summary = load_window(LakeStorage(uri), run_id, batches, specs=SPECS)
    sys.stdout.write(orjson.dumps(summary.to_dict()).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

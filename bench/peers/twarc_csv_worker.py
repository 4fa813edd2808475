"""Time twarc-csv's DataFrameConverter on a twarc2 JSONL archive; print one JSON line of results.

Runs inside the peer's own venv (twarc-csv 0.7.2 needs pandas<3), so it imports only the standard
library, pandas and twarc-csv. It does what ``twarc2 csv`` does, minus writing the CSV file: parse
each line with ``json.loads`` and convert batches of 100 lines (twarc-csv's default batch) into
DataFrames. Reading the file is outside the timed part, as it is for every contender.

    python twarc_csv_worker.py ARCHIVE [--runs N] [--batch-lines 100]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from importlib import metadata

SAMPLE_LINES = 20
logging.disable(logging.CRITICAL)  # twarc-csv logs every odd column; timing should not include that


def _extra_columns(converter_class, lines: list[bytes]) -> list[str]:
    """Columns our data has beyond twarc-csv's defaults (newer API fields), found before timing.

    twarc-csv drops a whole batch that has an unexpected column (its ``--extra-input-columns`` is the
    documented fix), which would make it look fast while converting nothing. This untimed pass
    flattens a sample of lines the way ``process`` does and lists every column it would reject; a
    column the sample misses still shows up as ``parse_errors`` in the output, which the bench reports.
    """
    import pandas as pd

    converter = converter_class(input_data_type="tweets")
    known = set(converter.columns)
    found: set[str] = set()
    step = max(1, len(lines) // SAMPLE_LINES)
    for line in lines[::step]:
        objects = [json.loads(line)]
        tweets = [
            row
            for tweet in converter._flatten_objects(objects)
            for row in converter._process_tweets(converter._inline_referenced_tweets(tweet))
        ]
        found.update(pd.json_normalize(tweets).columns)
    return sorted(found - known)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("archive")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--batch-lines", type=int, default=100)
    args = parser.parse_args()

    from twarc_csv import DataFrameConverter

    with open(args.archive, "rb") as fh:
        lines = [line for line in fh if line.strip()]
    extra = _extra_columns(DataFrameConverter, lines)
    seconds: list[float] = []
    rows = parse_errors = 0
    for _ in range(args.runs):
        converter = DataFrameConverter(input_data_type="tweets", extra_input_columns=",".join(extra))
        started = time.perf_counter()
        frames = []
        for first in range(0, len(lines), args.batch_lines):
            objects = [json.loads(line) for line in lines[first : first + args.batch_lines]]
            frames.append(converter.process(objects))
        seconds.append(time.perf_counter() - started)
        rows = sum(len(frame) for frame in frames)
        parse_errors = converter.counts["parse_errors"]
        del frames
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": rows,
                "parse_errors": parse_errors,
                "extra_input_columns": extra,
                "twarc_csv": metadata.version("twarc-csv"),
                "pandas": metadata.version("pandas"),
                "python": sys.version.split()[0],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

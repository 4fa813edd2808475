"""Bad bodies become one-line InputErrors that name the page; never a traceback."""

from __future__ import annotations

import pytest

from tests.transform.conftest import page_from_bytes, page_from_file
from twitter_pipeline.errors import InputError, PipelineError
from twitter_pipeline.extract.pages import RawPage
from twitter_pipeline.transform import pages_to_tables

GOOD = b'{"data":[{"id":"1","text":"fine"}]}'


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"data":[{"id":"1","text":"trunc', "not valid JSON"),
        (b"<html>502 Bad Gateway</html>", "not valid JSON"),
        (b'[{"id":"1"}]', "not a JSON object"),
        (b'"just a string"', "not a JSON object"),
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b'{"data":[]}{"data":[]}', "not valid JSON"),
        (b'{"data":[{"id":"1","public_metrics":{"like_count":"ten"}}]}', "does not match"),
        (b'{"data":"not a list"}', "does not match"),
    ],
)
def test_bad_page_raises_one_line_input_error(body: bytes, words: str) -> None:
    pages = [page_from_bytes(GOOD), page_from_bytes(GOOD), page_from_bytes(body)]
    with pytest.raises(InputError) as info:
        pages_to_tables(pages)
    message = str(info.value)
    assert isinstance(info.value, PipelineError)
    assert "\n" not in message
    assert words in message
    assert "page 3 of the batch" in message and "search_recent" in message


def test_error_names_the_raw_source_when_the_page_carries_one() -> None:
    page = page_from_bytes(b"{oops")
    object.__setattr__(
        page, "source", "raw/endpoint=search_recent/date=2024-10-29/run=r1/page-000007.jsonl.gz"
    )
    with pytest.raises(InputError, match=r"page-000007\.jsonl\.gz is not valid JSON"):
        pages_to_tables([page])


def test_good_pages_around_a_pretty_printed_one_still_parse() -> None:
    pages: list[RawPage] = [page_from_bytes(GOOD), page_from_file("search_page_tweets_naming.json")]
    assert pages_to_tables(pages)["tweets"].num_rows == 4

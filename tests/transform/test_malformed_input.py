"""Bad bodies become one-line InputErrors that name the page; never a traceback."""

from __future__ import annotations

import pytest

from tests.transform.conftest import page_from_bytes, page_from_file
from twitter_pipeline.errors import InputError, PipelineError
from twitter_pipeline.raw.pages import PageRequest, RawPage
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
        (b'{"data":"not a list"}', "does not match"),
        (b'{"data":[],"includes":[1]}', "does not match"),
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


def test_a_flattened_post_line_is_rejected_not_silently_empty() -> None:
    flattened = b'{"id":"1","text":"one post per line","author":{"id":"2","username":"x"},"__twarc":{}}'
    with pytest.raises(InputError, match="single post, not a response page"):
        pages_to_tables([page_from_bytes(GOOD), page_from_bytes(flattened)])


def test_an_empty_object_is_an_empty_page() -> None:
    tables = pages_to_tables([page_from_bytes(b"{}"), page_from_bytes(b'{"meta":{"result_count":0}}')])
    assert all(table.num_rows == 0 for table in tables.values())


def test_error_names_file_and_line_of_imported_pages() -> None:
    request = PageRequest("import", "archive.jsonl", {"file": "archive.jsonl", "line": "12"})
    page = RawPage(request=request, body=b'{"data": [')
    with pytest.raises(InputError, match=r"^archive\.jsonl line 12 is not valid JSON"):
        pages_to_tables([page])


def test_values_of_unexpected_type_are_coerced_or_nulled(caplog: pytest.LogCaptureFixture) -> None:
    odd = (
        b'{"data":[{"id":1851234567890123,"text":"numeric id","public_metrics":{"like_count":"12",'
        b'"retweet_count":"ten","reply_count":2.0},"possibly_sensitive":"no",'
        b'"geo":{"coordinates":{"coordinates":[1,2]}},"entities":{"hashtags":"oops"}}]}'
    )
    with caplog.at_level("WARNING"):
        tables = pages_to_tables([page_from_bytes(GOOD), page_from_bytes(odd)])
    rows = {row["id"]: row for row in tables["tweets"].to_pylist()}
    odd_row = rows["1851234567890123"]
    assert (odd_row["like_count"], odd_row["retweet_count"], odd_row["reply_count"]) == (12, None, 2)
    assert odd_row["possibly_sensitive"] is None
    assert (odd_row["longitude"], odd_row["latitude"]) == (1.0, 2.0)
    assert rows["1"]["text"] == "fine"
    assert tables["hashtags"].num_rows == 0
    assert "page 2 of the batch" in caplog.text and "3 value(s) of unexpected type" in caplog.text

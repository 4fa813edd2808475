"""XApiClient and its transport against scripted responses (httpx.MockTransport)."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from twitter_pipeline.errors import ApiError, AuthError, ConfigError, UsageCapError
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.retry import RetryPolicy

from .fake_api import TOKEN, FakeClock, FakeSearchApi, raise_error, respond

BASE = "http://127.0.0.1:9"


def make_client(api: FakeSearchApi, clock: FakeClock | None = None, **kwargs) -> XApiClient:
    clock = clock or FakeClock()
    waits: list[tuple[float, object, str]] = kwargs.pop("waits", [])
    return XApiClient(
        BASE,
        kwargs.pop("token", TOKEN),
        http_transport=httpx.MockTransport(api),
        clock=clock.time,
        sleep=clock.sleep,
        on_wait=lambda s, until, reason: waits.append((s, until, reason)),
        **kwargs,
    )


def test_search_follows_next_token_and_records_request_without_secret():
    api = FakeSearchApi(count=25, page_size=10)
    pages = list(make_client(api).search("recent", "python", max_results=10))
    assert [p.result_count for p in pages] == [10, 10, 5]
    ids = [t["id"] for p in pages for t in p.payload["data"]]
    assert len(ids) == len(set(ids)) == 25
    first, second = pages[0].request, pages[1].request
    assert first.endpoint == "search_recent" and first.path == "/2/tweets/search/recent"
    assert "next_token" not in first.params and second.params["next_token"] == "10"
    assert first.params["query"] == "python" and first.params["max_results"] == "10"
    assert "tweet.fields" in first.params and "author_id" in first.params["tweet.fields"]
    assert TOKEN not in orjson.dumps([p.request.to_dict() for p in pages]).decode()
    assert pages[0].body == api_body_of(api, 0)


def api_body_of(api: FakeSearchApi, index: int) -> bytes:
    # The fake is deterministic: rebuild page `index` and compare bytes exactly.
    again = FakeSearchApi(count=api.count, page_size=api.page_size)
    request = httpx.Request("GET", f"{BASE}/2/tweets/search/recent?next_token={index * api.page_size or ''}")
    request.headers["authorization"] = f"Bearer {TOKEN}"
    return again(request).content


def test_defaults_and_spelling_posts():
    api = FakeSearchApi(count=1)
    client = make_client(api, spelling="posts")
    page = next(client.search("all", "x"))
    assert page.request.endpoint == "search_all" and page.request.path == "/2/tweets/search/all"
    assert page.request.params["max_results"] == "500"
    assert "post.fields" in page.request.params and "tweet.fields" not in page.request.params
    assert "referenced_posts" in page.request.params["expansions"]
    recent = make_client(FakeSearchApi(count=1)).search_params("recent", "x")
    assert recent["max_results"] == "100"


def test_bad_options_are_config_errors():
    client = make_client(FakeSearchApi())
    with pytest.raises(ConfigError, match="max_results"):
        client.search_params("recent", "x", max_results=500)
    with pytest.raises(ConfigError, match="query is empty"):
        client.search_params("recent", "  ")
    with pytest.raises(ConfigError, match="since_id"):
        client.search_params("recent", "x", since_id="abc")
    with pytest.raises(ConfigError, match="endpoint"):
        client.search_params("sideways", "x")


def test_time_bounds_are_rfc3339_utc():
    params = make_client(FakeSearchApi()).search_params(
        "recent", "x", start_time="2026-01-02T03:04:05+01:00", end_time="2026-01-03"
    )
    assert params["start_time"] == "2026-01-02T02:04:05Z"
    assert params["end_time"] == "2026-01-03T00:00:00Z"


def test_token_never_in_repr_logs_or_errors(caplog):
    api = FakeSearchApi(faults=[respond(503, {"title": "Service Unavailable"})] * 10)
    client = make_client(api, retry_policy=RetryPolicy(max_attempts=3, initial_wait=0.01))
    assert TOKEN not in repr(client) and TOKEN not in repr(client.transport)
    with caplog.at_level(logging.DEBUG), pytest.raises(ApiError) as err:
        list(client.search("recent", "x"))
    assert TOKEN not in str(err.value)
    assert TOKEN not in caplog.text
    assert "kept failing" in str(err.value) and "503" in str(err.value)
    assert len(api.requests) == 3
    assert api.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_401_names_the_variable():
    with pytest.raises(AuthError, match="invalid or revoked: check X_BEARER_TOKEN") as err:
        list(make_client(FakeSearchApi(), token="wrong-token-XYZ").search("recent", "x"))
    assert "wrong-token-XYZ" not in str(err.value)


def test_missing_token_is_auth_error():
    with pytest.raises(AuthError, match="X_BEARER_TOKEN is not set"):
        XApiClient(BASE, "")


def test_403_client_forbidden_names_the_project():
    problem = {
        "title": "Client Forbidden",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
        "reason": "client-not-enrolled",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and "
        "tokens from a Twitter developer App that is attached to a Project.",
    }
    api = FakeSearchApi(faults=[respond(403, problem)])
    with pytest.raises(AuthError, match="Project"):
        list(make_client(api).search("recent", "x"))


def test_400_bad_query_names_the_fix():
    problem = {
        "errors": [
            {
                "parameters": {"query": ["(("]},
                "message": "There were errors processing your request: "
                "Unbalanced parentheses (at position 2)",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    api = FakeSearchApi(faults=[respond(400, problem)])
    with pytest.raises(ApiError, match=r"Unbalanced parentheses.*fix the query") as err:
        list(make_client(api).search("recent", "(("))
    assert "\n" not in str(err.value)
    assert len(api.requests) == 1  # never retried


def test_429_window_waits_until_reset_then_continues():
    clock = FakeClock(now=1_999_999_000.0)
    waits: list = []
    api = FakeSearchApi(
        count=15,
        faults=[
            respond(
                429,
                {"title": "Too Many Requests"},
                x_rate_limit_remaining="0",
                x_rate_limit_reset="1999999600",
            )
        ],
    )
    pages = list(make_client(api, clock, waits=waits).search("recent", "x", max_results=10))
    assert len(pages) == 2
    assert 600 <= clock.sleeps[0] <= 601
    assert waits[0][0] == clock.sleeps[0] and "429" in waits[0][2]
    assert waits[0][1].timestamp() == pytest.approx(1_999_999_600, abs=1)


def test_429_with_remaining_is_per_second_limit():
    clock = FakeClock()
    api = FakeSearchApi(
        count=5,
        faults=[
            respond(
                429,
                {"title": "Too Many Requests"},
                x_rate_limit_remaining="120",
                x_rate_limit_reset="1999999800",
            )
        ],
    )
    list(make_client(api, clock).search("recent", "x"))
    assert clock.sleeps == [1.0]


def test_spent_window_waits_before_next_request():
    clock = FakeClock(now=1_999_999_000.0)
    api = FakeSearchApi(count=25, page_size=10, remaining=0, reset=1_999_999_300)
    pages = list(make_client(api, clock).search("recent", "x", max_results=10))
    assert len(pages) == 3
    # two waits (before pages 2 and 3); the clock had reached the reset after the first
    assert 300 <= clock.sleeps[0] <= 301
    assert len(api.requests) == 3  # no 429 was provoked


def test_full_archive_is_paced_one_per_second():
    clock = FakeClock()
    api = FakeSearchApi(count=30, page_size=10)
    list(make_client(api, clock).search("all", "x", max_results=10))
    assert clock.sleeps == [1.0, 1.0]


def test_usage_cap_stops_without_retry():
    problem = {
        "title": "UsageCapExceeded",
        "type": "https://api.twitter.com/2/problems/usage-capped",
        "period": "Monthly",
        "scope": "Product",
        "detail": "Usage cap exceeded: Monthly product cap",
    }
    api = FakeSearchApi(faults=[respond(429, problem, x_rate_limit_remaining="0", x_rate_limit_reset="1")])
    clock = FakeClock()
    with pytest.raises(UsageCapError, match="Monthly") as err:
        list(make_client(api, clock).search("recent", "x"))
    assert "cap" in str(err.value) and len(api.requests) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    "fault",
    [
        respond(500, b"oops"),
        respond(502, b"<html>bad gateway</html>"),
        respond(200, b'{"data":[{"id":"1","te'),  # truncated body
        respond(200, b"[1,2,3]"),  # JSON but not an object
        raise_error(httpx.ReadTimeout),
        raise_error(httpx.ConnectError),
        raise_error(httpx.RemoteProtocolError),
    ],
    ids=["500", "502", "truncated", "array", "timeout", "connect", "reset"],
)
def test_transient_failures_are_retried_with_backoff(fault):
    clock = FakeClock()
    waits: list = []
    api = FakeSearchApi(count=5, faults=[fault, fault])
    pages = list(make_client(api, clock, waits=waits).search("recent", "x"))
    assert len(pages) == 1 and pages[0].result_count == 5
    assert len(api.requests) == 3
    assert len(clock.sleeps) == 2 and clock.sleeps[1] > 0
    assert all("retrying" in reason for _, _, reason in waits)


def test_retries_are_bounded():
    api = FakeSearchApi(faults=[raise_error(httpx.RemoteProtocolError)] * 20)
    policy = RetryPolicy(max_attempts=4, initial_wait=0.5, max_wait=2)
    clock = FakeClock()
    with pytest.raises(ApiError, match="kept failing"):
        list(make_client(api, clock, retry_policy=policy).search("recent", "x"))
    assert len(api.requests) == 4 and len(clock.sleeps) == 3
    assert all(s <= 2 + 1.0 for s in clock.sleeps)


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout])
def test_a_host_never_reached_fails_fast_naming_the_base_url(error, caplog):
    api = FakeSearchApi(faults=[raise_error(error)] * 20)
    clock = FakeClock()
    with caplog.at_level(logging.INFO, logger="twitter_pipeline"), pytest.raises(ApiError) as err:
        list(make_client(api, clock).search("recent", "x"))
    assert "X_API_BASE_URL" in str(err.value) and BASE in str(err.value)
    assert len(api.requests) == 3 and sum(clock.sleeps) < 10  # seconds, not the policy's minutes
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1  # the same reason again is not another warning


def test_after_giving_up_on_a_host_the_next_request_tries_once():
    api = FakeSearchApi(faults=[raise_error(httpx.ConnectError)] * 20)
    client = make_client(api, FakeClock())
    for _ in range(2):  # e.g. the budget's counts request, then the search
        with pytest.raises(ApiError, match="X_API_BASE_URL"):
            list(client.search("recent", "x"))
    assert len(api.requests) == 3 + 1


def test_a_lost_connection_after_the_host_answered_gets_the_full_policy():
    passthrough = [lambda request: None]
    api = FakeSearchApi(count=25, page_size=10, faults=passthrough + [raise_error(httpx.ConnectError)] * 4)
    pages = list(make_client(api, FakeClock()).search("recent", "x"))
    assert sum(p.result_count for p in pages) == 25
    assert len(api.requests) == 3 + 4


def test_base_url_with_port_and_trailing_slash():
    api = FakeSearchApi(count=1)
    client = XApiClient("http://127.0.0.1:8123/", TOKEN, http_transport=httpx.MockTransport(api))
    list(client.search("recent", "x"))
    assert str(api.requests[0].url).startswith("http://127.0.0.1:8123/2/tweets/search/recent?")


def test_user_timeline_pages_with_pagination_token():
    api = FakeSearchApi(count=25, page_size=10)

    def as_search(request: httpx.Request) -> httpx.Response:
        # the fake pages on next_token; map the timeline's pagination_token onto it
        params = dict(request.url.params)
        if "pagination_token" in params:
            params["next_token"] = params.pop("pagination_token")
        return api(httpx.Request("GET", request.url.copy_with(params=params), headers=request.headers))

    client = XApiClient(BASE, TOKEN, http_transport=httpx.MockTransport(as_search))
    pages = list(client.user_tweets("2244994945", max_results=10))
    assert len(pages) == 3 and pages[0].request.endpoint == "user_tweets"
    assert pages[0].request.path == "/2/users/2244994945/tweets"
    assert pages[1].request.params["pagination_token"] == "10"
    with pytest.raises(ConfigError):
        client.get_user_by_username("not a name!")


@pytest.mark.parametrize(
    ("token", "kind"),
    [("abcd\nefgh", "a line break"), ("abcd efgh", "a space"), ("abcdéfghi", "a non-ASCII character")],
)
def test_a_token_that_cannot_be_a_header_is_one_error_without_echo(token, kind):
    api = FakeSearchApi()
    with pytest.raises(ConfigError) as err:
        XApiClient(BASE, token, http_transport=httpx.MockTransport(api))
    assert kind in str(err.value) and "character 5 of 9" in str(err.value)
    assert "abcd" not in str(err.value) and "efgh" not in str(err.value)
    assert not api.requests

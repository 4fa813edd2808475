"""Fault injection, driven with plain httpx: each fault is deterministic by request number and seed."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.emulator.conftest import AUTH, NOW, WINDOW
from twitter_pipeline.emulator import DEMO_QUERY

pytestmark = pytest.mark.integration
RECENT = "/2/tweets/search/recent"
PARAMS = {"query": DEMO_QUERY, **WINDOW}


def _statuses(emu, n: int) -> list[int]:
    out = []
    with httpx.Client(base_url=emu.base_url, headers=AUTH) as c:
        for _ in range(n):
            out.append(c.get(RECENT, params=PARAMS).status_code)
    return out


def test_429_bursts_every_n_requests(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, burst_every=4, burst_length=2, burst_reset_s=3)
    with httpx.Client(base_url=emu.base_url, headers=AUTH) as c:
        responses = [c.get(RECENT, params=PARAMS) for _ in range(10)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429, 200, 200, 429, 429, 200]
    burst = responses[3]
    assert burst.json()["title"] == "Too Many Requests"
    assert burst.headers["x-rate-limit-remaining"] == "0"
    assert 1 <= int(burst.headers["x-rate-limit-reset"]) - time.time() <= 4
    assert len(emu.served_ids) == 10  # the same first page, six times; 429s serve nothing
    assert [r.fault for r in emu.requests].count("burst") == 4


def test_5xx_rate_is_deterministic_and_serves_nothing(emulator_factory) -> None:
    a = emulator_factory(now=NOW, error_rate=0.3, seed=5)
    b = emulator_factory(now=NOW, error_rate=0.3, seed=5)
    sa, sb = _statuses(a, 30), _statuses(b, 30)
    assert sa == sb
    assert 200 in sa and set(sa) <= {200, 500, 503}
    assert 3 <= sum(s != 200 for s in sa) <= 20
    always = emulator_factory(now=NOW, error_rate=1.0)
    r = httpx.get(always.base_url + RECENT, params=PARAMS, headers=AUTH)
    assert r.status_code in (500, 503)
    assert r.json()["status"] == r.status_code and r.json()["type"] == "about:blank"
    assert "x-rate-limit-remaining" in r.headers
    assert always.served_ids == set()


def test_slow_responses(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, delay_ms=300)
    started = time.monotonic()
    assert httpx.get(emu.base_url + RECENT, params=PARAMS, headers=AUTH).status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(emu.base_url + RECENT, params=PARAMS, headers=AUTH, timeout=0.1)


def test_truncated_body_is_an_incomplete_read_and_not_served(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, truncate_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(emu.base_url + RECENT, params=PARAMS, headers=AUTH)
    assert emu.served_ids == set()
    assert emu.requests[-1].fault == "truncate" and emu.requests[-1].status == 200


def test_truncation_share_is_partial(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, truncate_rate=0.5, seed=1)
    ok = failed = 0
    for _ in range(20):
        try:
            body = httpx.get(emu.base_url + RECENT, params=PARAMS, headers=AUTH).json()
            assert body["meta"]["result_count"] == 10
            ok += 1
        except httpx.RemoteProtocolError:
            failed += 1
    assert ok and failed
    assert len(emu.served_ids) == 10


def test_connection_reset(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, reset_rate=1.0)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError)):
        httpx.get(emu.base_url + RECENT, params=PARAMS, headers=AUTH)
    assert emu.served_ids == set()
    assert emu.requests[-1].fault == "reset"


def test_usage_cap(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, usage_cap=15, usage_cap_period="Daily")
    params = dict(PARAMS)
    with httpx.Client(base_url=emu.base_url, headers=AUTH) as c:
        first = c.get(RECENT, params=params).json()
        params["next_token"] = first["meta"]["next_token"]
        assert c.get(RECENT, params=params).status_code == 200
        capped = c.get(RECENT, params=params)
    assert capped.status_code == 429
    body = capped.json()
    assert body["type"] == "https://api.x.com/2/problems/usage-capped"
    assert body["title"] == "UsageCapExceeded"
    assert body["period"] == "Daily" and body["scope"] == "Account"
    assert len(emu.served_ids) == 20


def test_config_from_env() -> None:
    from twitter_pipeline.emulator import EmulatorConfig

    cfg = EmulatorConfig.from_env(
        {
            "X_EMULATOR_SEED": "9",
            "X_EMULATOR_ERROR_RATE": "0.25",
            "X_EMULATOR_TOKEN": "",
            "X_EMULATOR_USAGE_CAP": "7",
        }
    )
    assert cfg.seed == 9 and cfg.error_rate == 0.25 and cfg.token is None and cfg.usage_cap == 7

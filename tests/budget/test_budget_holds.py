"""The budget holds, over real HTTP against the emulator: estimates equal reads, windows that would cross a
budget are not started, and a count that was too low overspends by less than one page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.collections.conftest import NOW, QUIET
from tests.fixtures.emulator import EMULATOR_TEST_TOKEN, EmulatorFactory
from twitter_pipeline import pipeline
from twitter_pipeline.budget.estimate import estimate_search
from twitter_pipeline.budget.ledger import reads_per_day
from twitter_pipeline.collections.config import load_collections
from twitter_pipeline.collections.runner import run_collection
from twitter_pipeline.emulator import EmulatorServer
from twitter_pipeline.errors import BudgetError
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.load import read_table
from twitter_pipeline.settings import Settings, load_settings
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration
QUERY = "#python OR #ai"
START = datetime(2026, 2, 28, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def frozen(emulator_factory: EmulatorFactory) -> EmulatorServer:
    return emulator_factory(now=NOW)


def settings_for(server: EmulatorServer, lake: Path, **extra: object) -> Settings:
    return load_settings(
        lake=str(lake), bearer_token=EMULATOR_TEST_TOKEN, api_base_url=server.base_url, **extra
    )


def estimate(server: EmulatorServer, windows: list[tuple[datetime, datetime]]):
    with XApiClient(server.base_url, EMULATOR_TEST_TOKEN, min_interval={}) as client:
        return estimate_search(client, "recent", QUERY, windows, price_per_post=0.005)


def search_requests(server: EmulatorServer) -> list:
    return [r for r in server.requests if "/search/" in r.path]


def test_the_estimate_equals_what_the_run_reads(frozen: EmulatorServer, tmp_path: Path) -> None:
    est = estimate(frozen, [(START, START + HOUR)])
    assert est.posts > 0 and frozen.posts_read == 0
    assert est.cost == pytest.approx(est.posts * 0.005)
    settings = settings_for(frozen, tmp_path / "lake")
    summary = pipeline.run(settings, query=QUERY, start=START, end=START + HOUR, source="api")
    assert summary.posts_read == summary.posts == est.posts == frozen.posts_read
    assert summary.posts_estimated == est.posts
    assert len(search_requests(frozen)) == est.requests  # pages = ceil(posts / 100)
    record = orjson.loads((tmp_path / "lake" / "_runs" / f"{summary.run_id}.json").read_bytes())
    assert record["metadata"]["posts_read"] == record["metadata"]["posts_estimated"] == est.posts
    usage = read_table(LakeStorage(str(tmp_path / "lake")), "usage")
    assert usage.column("posts_read").to_pylist() == [est.posts]
    assert usage.column("posts_estimated").to_pylist() == [est.posts]


def test_a_budget_smaller_than_the_window_stops_before_any_read(
    frozen: EmulatorServer, tmp_path: Path
) -> None:
    est = estimate(frozen, [(START, START + HOUR)])
    settings = settings_for(frozen, tmp_path / "lake")
    with pytest.raises(BudgetError) as stop:
        pipeline.run(
            settings, query=QUERY, start=START, end=START + HOUR, source="api", max_posts=est.posts - 1
        )
    message = str(stop.value)
    assert "per-run budget" in message and "--max-posts" in message and f"{est.posts:,}" in message
    assert "\n" not in message
    assert frozen.posts_read == 0 and not search_requests(frozen)


def test_a_backfill_stops_at_the_window_that_would_cross_the_budget(
    frozen: EmulatorServer, tmp_path: Path
) -> None:
    windows = [(START + k * HOUR, START + (k + 1) * HOUR) for k in range(3)]
    est = estimate(frozen, windows)
    first_two = est.windows[0].posts + est.windows[1].posts
    settings = settings_for(frozen, tmp_path / "lake")
    with pytest.raises(BudgetError, match="per-run budget"):
        pipeline.backfill(
            settings, start=windows[0][0], end=windows[-1][1], every=HOUR, query=QUERY, source="api",
            max_posts=first_two + est.windows[2].posts // 2,
        )  # fmt: skip
    assert frozen.posts_read == first_two  # the third window was not started
    storage = LakeStorage(str(tmp_path / "lake"))
    assert read_table(storage, "tweets", columns=["id"]).num_rows == first_two  # what was read landed
    slightly_more = settings_for(frozen, tmp_path / "lake2")
    frozen.reset_ledger()
    summaries = pipeline.backfill(
        slightly_more, start=windows[0][0], end=windows[-1][1], every=HOUR, query=QUERY, source="api",
        max_posts=est.posts + 5,
    )  # fmt: skip
    assert sum(s.posts_read for s in summaries) == est.posts == frozen.posts_read <= est.posts + 5


def test_a_count_that_cannot_be_known_overspends_by_less_than_one_page(
    frozen: EmulatorServer, tmp_path: Path
) -> None:
    """Timelines have no counts endpoint: the guard alone holds the budget, page by page."""
    config_file = tmp_path / "collections.toml"
    config_file.write_text(
        f'[[collections]]\nname = "people"\naccounts = ["{QUIET[0]}", "{QUIET[1]}", "{QUIET[2]}"]\n'
        'lookback = "30d"\nmax_results = 20\nmax_posts = 45\n'
    )
    collection = load_collections(config_file).get("people")
    settings = settings_for(frozen, tmp_path / "lake")
    with pytest.raises(BudgetError) as stop:
        run_collection(settings, collection, source="api", now=NOW)
    assert "collection 'people' per-run budget of 45" in str(stop.value)
    assert "max_posts" in str(stop.value) and "loaded" in str(stop.value)
    assert 45 <= frozen.posts_read < 45 + 20
    ids = read_table(LakeStorage(str(tmp_path / "lake")), "tweets", columns=["id"]).column("id").to_pylist()
    assert set(ids) == frozen.served_ids  # everything fetched landed


def test_the_monthly_budget_counts_earlier_runs(frozen: EmulatorServer, tmp_path: Path) -> None:
    windows = [(START, START + HOUR), (START + HOUR, START + 2 * HOUR)]
    est = estimate(frozen, windows)
    settings = settings_for(frozen, tmp_path / "lake", max_posts_per_month=est.windows[0].posts + 10)
    first = pipeline.run(settings, query=QUERY, start=windows[0][0], end=windows[0][1], source="api")
    assert first.posts_read == est.windows[0].posts
    with pytest.raises(BudgetError, match=r"per-month budget.*TWITTER_PIPELINE_MAX_POSTS_PER_MONTH"):
        pipeline.run(settings, query=QUERY, start=windows[1][0], end=windows[1][1], source="api")
    assert frozen.posts_read == est.windows[0].posts
    today = datetime.now(UTC).date()
    assert reads_per_day(LakeStorage(str(tmp_path / "lake"))) == {today: est.windows[0].posts}


def test_the_project_cap_of_the_usage_endpoint_is_respected(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    server = emulator_factory(now=NOW, usage_cap=100_000)
    est = estimate(server, [(START, START + HOUR)])
    capped = emulator_factory(now=NOW, usage_cap=est.posts - 1)
    with pytest.raises(BudgetError, match="X API project cap"):
        pipeline.run(
            settings_for(capped, tmp_path / "lake"), query=QUERY, start=START, end=START + HOUR, source="api"
        )
    assert capped.posts_read == 0 and not search_requests(capped)

"""The collections file: what it accepts, and one clear line for each kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from twitter_pipeline.collections import COLLECTIONS_ENV, load_collections, parse_collections
from twitter_pipeline.errors import ConfigError

GOOD = """
[[collections]]
name = "python"
query = "  #python -is:retweet "

[[collections]]
name = "people"
accounts = ["@Guido", "raymondh", "guido"]
exclude = ["replies", "retweets"]
schedule = "0 */6 * * *"
lookback = "7d"
fields = { "tweet.fields" = ["id", "text", "author_id", "created_at"] }

[[collections]]
name = "archive"
query = "from:XDevelopers"
endpoint = "all"
max_results = 500
schedule = "@daily"
"""


def test_good_file_parses_both_kinds() -> None:
    config = parse_collections(GOOD)
    assert config.names == ["python", "people", "archive"]
    python, people, archive = config
    assert (python.kind, python.query, python.api_endpoint, python.schedule) == (
        "search",
        "#python -is:retweet",
        "recent",
        "@hourly",
    )
    assert people.kind == "accounts" and people.accounts == ("Guido", "raymondh")  # '@' dropped, deduped
    assert people.exclude == ("replies", "retweets") and people.api_endpoint == "timeline"
    assert people.lookback_delta.days == 7 and python.lookback_delta.total_seconds() == 3600
    assert archive.api_endpoint == "all" and archive.max_results == 500
    assert config.get("people") is people


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name = "a"\nquery = "x"\nqeury = "y"', "unknown key 'qeury'"),
        ('name = "a"\nquery = "   "', "query is empty"),
        ('name = "a"\naccounts = ["good_one", "bad-handle!"]', "'bad-handle!' is not an X handle"),
        ('name = "a"\naccounts = ["waytoolonghandle_16"]', "is not an X handle"),
        ('name = "a"\naccounts = []', "accounts is empty"),
        ('name = "a"\nquery = "x"\naccounts = ["b"]', "exactly one of query"),
        ('name = "a"', "exactly one of query"),
        ('query = "x"', "name is required"),
        ('name = "Has Space"\nquery = "x"', "is not usable"),
        ('name = "a"\nquery = "x"\nexclude = ["replies"]', "exclude applies to accounts only"),
        ('name = "a"\naccounts = ["b"]\nexclude = ["likes"]', "exclude 'likes' is unknown"),
        ('name = "a"\nquery = "x"\nendpoint = "timeline"', "not a search endpoint"),
        ('name = "a"\nquery = "x"\nschedule = "every hour"', "is not a cron expression"),
        ('name = "a"\nquery = "x"\nschedule = "61 * * * *"', "is not a cron expression"),
        ('name = "a"\nquery = "x"\nlookback = "yesterday"', "is not a duration"),
        ('name = "a"\nquery = "x"\nmax_results = 101', "out of range"),
        ('name = "a"\nquery = "x"\nfields = { "tweet.fields" = ["nope"] }', "not supported"),
    ],
)
def test_each_mistake_is_one_clear_line(body: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_collections(f"[[collections]]\n{body}\n", source="c.toml")
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith("c.toml: ")


def test_duplicate_names_are_refused() -> None:
    text = '[[collections]]\nname = "a"\nquery = "x"\n[[collections]]\nname = "a"\naccounts = ["b"]\n'
    with pytest.raises(ConfigError, match="duplicate collection name 'a'"):
        parse_collections(text)


def test_file_level_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_collections("[[collections]\nname=")
    with pytest.raises(ConfigError, match="defines no collections"):
        parse_collections("")
    with pytest.raises(ConfigError, match="unknown top-level key 'collection'"):
        parse_collections('[[collection]]\nname = "a"\nquery = "x"\n')
    with pytest.raises(ConfigError, match="not found: create it"):
        load_collections(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match=r"no collection named 'nope'.*use one of python, people"):
        parse_collections(GOOD).get("nope")


def test_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    monkeypatch.setenv(COLLECTIONS_ENV, str(path))
    assert load_collections().names == ["python", "people", "archive"]
    monkeypatch.setenv(COLLECTIONS_ENV, "")  # empty means the default file in the working directory
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"collections\.toml not found"):
        load_collections()


def test_repository_examples_are_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    example = load_collections(root / "collections.example.toml")
    demo = load_collections(root / "collections.demo.toml")
    for config in (example, demo):
        assert {c.kind for c in config} == {"search", "accounts"}

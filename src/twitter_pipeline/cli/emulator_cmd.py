"""`emulator`: run the local X API v2 emulator in the foreground (demos, manual tests, other tools)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from twitter_pipeline.cli.app import app
from twitter_pipeline.emulator import constants as c
from twitter_pipeline.emulator.config import EmulatorConfig
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.times import parse_utc


@app.command()
def emulator(
    port: int = typer.Option(
        8750, "--port", "-p", metavar="PORT", help="TCP port to listen on (0 picks a free one)."
    ),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        metavar="ADDRESS",
        help="Address to bind. Loopback by default; anything else exposes the emulator.",
    ),
    seed: int = typer.Option(
        c.DEFAULT_SEED, "--seed", metavar="N", help="World seed: same seed, same posts, same bytes."
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        metavar="TOKEN",
        envvar="X_EMULATOR_TOKEN",
        show_envvar=True,
        help="Bearer token clients must send. Default: any non-empty token is accepted.",
    ),
    posts_per_hour: int = typer.Option(
        c.DEFAULT_POSTS_PER_HOUR,
        "--posts-per-hour",
        metavar="N",
        help="World density: posts created per hour of world time.",
    ),
    users: int = typer.Option(
        c.DEFAULT_USERS, "--users", metavar="N", help="Number of authors in the world."
    ),
    world_start: str = typer.Option(
        c.DEFAULT_WORLD_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--world-start",
        metavar="ISO",
        help="Time of the world's first post (RFC 3339). Posts exist from here until now.",
    ),
    rate_limit_window: int = typer.Option(
        c.RATE_LIMIT_WINDOW_S,
        "--rate-limit-window",
        metavar="SECONDS",
        help="Rate-limit window in seconds (real API: 900).",
    ),
    recent_limit: int = typer.Option(
        c.RATE_LIMITS["search_recent"],
        "--recent-limit",
        metavar="N",
        help="Recent-search requests per window and token.",
    ),
    all_limit: int = typer.Option(
        c.RATE_LIMITS["search_all"],
        "--all-limit",
        metavar="N",
        help="Full-archive requests per window and token.",
    ),
    all_per_second: int = typer.Option(
        c.SEARCH_ALL_PER_SECOND,
        "--all-per-second",
        metavar="N",
        help="Full-archive requests allowed per second (0 = unlimited); excess gets 429 with remaining > 0.",
    ),
    burst_every: int = typer.Option(
        0, "--burst-every", metavar="N", help="Fault: every N-th request starts a burst of 429s (0 = off)."
    ),
    burst_length: int = typer.Option(
        0, "--burst-length", metavar="N", help="Fault: consecutive 429s per burst."
    ),
    burst_reset: int = typer.Option(
        3,
        "--burst-reset",
        metavar="SECONDS",
        help="Fault: during a burst, x-rate-limit-reset is this many seconds ahead.",
    ),
    error_rate: float = typer.Option(
        0.0, "--error-rate", metavar="SHARE", help="Fault: share of requests answered 500/503."
    ),
    delay_ms: int = typer.Option(
        0, "--delay-ms", metavar="MS", help="Fault: extra latency per response, in milliseconds."
    ),
    truncate_rate: float = typer.Option(
        0.0,
        "--truncate-rate",
        metavar="SHARE",
        help="Fault: share of 200 responses whose body is cut short before closing.",
    ),
    reset_rate: float = typer.Option(
        0.0,
        "--reset-rate",
        metavar="SHARE",
        help="Fault: share of requests answered with a TCP connection reset.",
    ),
    usage_cap: int | None = typer.Option(
        None,
        "--usage-cap",
        metavar="POSTS",
        help="After this many distinct posts served, answer 429 usage-capped; a Monthly cap is also the "
        "project_cap /2/usage/tweets reports.",
    ),
    usage_cap_period: str = typer.Option(
        "Monthly",
        "--usage-cap-period",
        metavar="PERIOD",
        help="Period reported by the usage-cap Problem: Daily or Monthly.",
    ),
    cap_reset_day: int = typer.Option(
        1,
        "--cap-reset-day",
        metavar="DAY",
        help="Day of the month /2/usage/tweets reports as the cap's reset day.",
    ),
) -> None:
    """Run the local X API v2 emulator until Ctrl-C or SIGTERM.

    Serves GET /2/tweets/search/recent, /2/tweets/search/all, /2/tweets/counts/recent,
    /2/tweets/counts/all, /2/usage/tweets, /2/users/by/username/:username and /2/users/:id/tweets
    from a deterministic world. Point the pipeline at it with
    X_API_BASE_URL=<printed URL>.
    """
    try:
        start = parse_utc(world_start)
    except ValueError as exc:
        raise ConfigError(
            f"--world-start {world_start!r} is not an RFC 3339 time: use e.g. 2026-01-01T00:00:00Z"
        ) from exc
    limits = dict(c.RATE_LIMITS)
    limits["search_recent"] = recent_limit
    limits["search_all"] = all_limit
    config = EmulatorConfig(
        host=host,
        port=port,
        seed=seed,
        token=token or None,
        posts_per_hour=posts_per_hour,
        users=users,
        world_start=start,
        rate_limit_window_s=rate_limit_window,
        rate_limits=limits,
        search_all_per_second=all_per_second,
        burst_every=burst_every,
        burst_length=burst_length,
        burst_reset_s=burst_reset,
        error_rate=error_rate,
        delay_ms=delay_ms,
        truncate_rate=truncate_rate,
        reset_rate=reset_rate,
        usage_cap=usage_cap,
        usage_cap_period=usage_cap_period,
        cap_reset_day=cap_reset_day,
    )
    from twitter_pipeline.emulator.server import EmulatorServer

    server = EmulatorServer(config)
    try:
        server.start()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}): pick another --port") from exc
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    typer.echo(server.base_url, err=False)
    typer.echo(
        f"X API v2 emulator on {server.base_url} (seed {seed}, {posts_per_hour} posts/hour); "
        f"{'token required' if token else 'any bearer token accepted'}. Ctrl-C to stop.",
        err=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        typer.echo("emulator stopped", err=True)

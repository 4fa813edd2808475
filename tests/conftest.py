"""Shared test setup: fixtures live in tests/fixtures/, one module per real server or resource."""

pytest_plugins: list[str] = [
    "tests.fixtures.emulator",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
    "tests.fixtures.s3",
]

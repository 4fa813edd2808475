"""schemathesis (a third-party tester) checks the emulator against both official specs.

Status codes, content types and response bodies of the search, counts, usage, timeline and user-lookup
operations must be what the spec declares, for generated valid and invalid requests. The specs are read from
``../shared/x-api`` next to the repository; the test fails, never skips, when they are missing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.emulator import EMULATOR_TEST_TOKEN
from tests.spec_files import SPEC_VERSIONS, spec_path
from twitter_pipeline.emulator import constants as c

pytestmark = pytest.mark.integration

OPERATIONS = (
    r"^(searchPostsRecent|searchPostsAll|getUsersPosts|getUsersByUsername"
    r"|getPostsCountsRecent|getPostsCountsAll|getUsage)$"
)
CHECKS = "status_code_conformance,content_type_conformance,response_schema_conformance"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.parametrize("version", SPEC_VERSIONS)
def test_the_emulator_conforms_to_the_official_spec(version: str, emulator_factory, tmp_path: Path) -> None:
    spec = spec_path(version)
    # 600 posts an hour: counts over the default 7 or 30 days stay well inside schemathesis' 10 s timeout
    server = emulator_factory(
        spec_version=version, posts_per_hour=600, rate_limits={name: 1_000_000 for name in c.RATE_LIMITS}
    )
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            str(spec),
            "--url",
            server.base_url,
            "--include-operation-id-regex",
            OPERATIONS,
            "--header",
            f"Authorization: Bearer {EMULATOR_TEST_TOKEN}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "15",
            "--seed",
            "20261120",
            "--workers",
            "1",
            "--warnings",
            "off",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "7 selected" in done.stdout  # the seven operations were found in the spec and tested

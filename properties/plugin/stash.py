"""What the plugin keeps on pytest's config: the run it serves, and what it restores afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from properties.core.session import Run

RUN_KEY = pytest.StashKey[Run]()  # the run this session serves
PROFILE_KEY = pytest.StashKey[str]()  # the hypothesis profile before it, restored after
SETTINGS_KEY = pytest.StashKey[dict]()  # each hypothesis test's settings before this run, restored after

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # properties/: the suite's own tests

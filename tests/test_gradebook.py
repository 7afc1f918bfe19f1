"""The gradebook's creation: the schema revision the grader gives nbgrader is nbgrader's own."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nbgrader.dbutil import _temp_alembic_ini

from grader.config import alembic_head


def test_alembic_head_read_in_process_is_the_one_alembic_prints():
    alembic = str(Path(sys.executable).parent / "alembic")
    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:  # as nbgrader's get_alembic_version
        printed = subprocess.check_output([alembic, "-c", ini, "heads"], text=True)
    assert printed.split()[0] == alembic_head(), (
        f"nbgrader's migrations end at {printed.split()[0]}, but the grader would stamp new gradebooks "
        f"with {alembic_head()}")

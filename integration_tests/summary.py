"""Text a test module leaves for the end of the run (the fault matrix's table).

pytest-xdist runs the tests in worker processes, which have no terminal: the text rides to the
process that has one on a test report, as a user property of the test being torn down when it is
left (conftest.py moves it there), and conftest.py prints it in the terminal summary. Without
xdist the same path is taken, in one process.
"""

from __future__ import annotations

from typing import List

import pytest

USER_PROPERTY = "text_for_the_summary"
PENDING = pytest.StashKey[List[str]]()


def print_at_the_end(config: pytest.Config, text: str) -> None:
    config.stash.setdefault(PENDING, []).append(text)

import time
from unittest import mock

import pytest


@pytest.fixture(autouse=True)
def no_backoff_sleep():
    """Retries are behaviour under test; the seconds they wait are not."""
    with mock.patch.object(time, "sleep", lambda seconds: None):
        yield

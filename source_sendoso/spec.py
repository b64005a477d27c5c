"""The connector's manifest, and the spec it declares read without building the source: the
entrypoint checks a config against it, and config errors name its fields, before any source exists."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

MANIFEST = Path(__file__).parent / "manifest.yaml"


@lru_cache(maxsize=1)
def connection_specification() -> Mapping[str, Any]:
    """The spec's JSON schema, as the manifest writes it."""
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["spec"]["connection_specification"]

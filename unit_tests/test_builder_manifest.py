"""The Builder edition (builder/manifest.yaml) is what Airbyte Cloud can import: the spine, stock YAML only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from builder.__main__ import EDITION, SPINE, edition_text
from source_sendoso import overlay

REPO = Path(__file__).resolve().parents[1]


def test_the_builder_edition_names_no_custom_class() -> None:
    text = EDITION.read_text(encoding="utf-8")
    assert "class_name" not in text and "Custom" not in text
    assert "JsonFileSchemaLoader" not in text  # Cloud has no files beside the manifest


def test_the_spine_names_no_custom_class() -> None:
    assert "class_name" not in SPINE.read_text(encoding="utf-8")


def test_the_builder_edition_is_what_the_spine_makes() -> None:
    # `make builder` writes it; a spine changed without it fails here.
    assert EDITION.read_text(encoding="utf-8") == edition_text()
    check = subprocess.run([sys.executable, "-m", "builder", "--check"], cwd=REPO, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_the_builder_edition_inlines_every_schema_of_the_package() -> None:
    edition = yaml.safe_load(EDITION.read_text(encoding="utf-8"))
    schemas = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (REPO / "schemas").glob("*.json")}
    assert edition["schemas"] == schemas


def test_the_package_is_the_spine_with_its_custom_components_added() -> None:
    package = json.dumps(overlay.manifest())
    for component in ("ResponseGuard", "CeqlRecordFilter", "CanonicalTypes", "SendUpdatedAt", "PushDownFilters", "CursorStateInUtc"):
        assert component in package
    spine = yaml.safe_load(SPINE.read_text(encoding="utf-8"))
    assert spine["streams"] == overlay.manifest()["streams"]

"""docs/sendoso.md follows the heading order of Airbyte's connector docs template.

Airbyte's connector QA ("Connectors documentation headers structure, naming and order follow our
guidelines") reads every heading of levels 1 to 4 in order and walks them against the headings of
its template (`connectors_qa/checks/documentation/templates/template.md.j2` in airbytehq/airbyte).
`TEMPLATE` is that template's headings, `OPTIONAL` the ones the check lets a page leave out, and
`headings_out_of_order` is the check's walk: where the template says `{ Connector-specific
features }` a page may put headings of its own, as many as it likes, as long as none of them is
one of the template's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Optional

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "sendoso.md"

CONNECTOR_SPECIFIC = "{ Connector-specific features }"


def template(name: str) -> List[str]:
    return [
        name,
        "Prerequisites",
        "Setup guide",
        f"Set up {name}",
        "For Airbyte Cloud:",
        "For Airbyte Open Source:",
        CONNECTOR_SPECIFIC,
        f"Set up the {name} connector in Airbyte",
        "For Airbyte Cloud:",
        "For Airbyte Open Source:",
        CONNECTOR_SPECIFIC,
        "Supported sync modes",
        "Supported Streams",
        CONNECTOR_SPECIFIC,
        "Performance considerations",
        "Data type map",
        "Limitations & Troubleshooting",
        CONNECTOR_SPECIFIC,
        "Tutorials",
        "Changelog",
    ]


def optional(name: str) -> List[str]:
    return [
        f"Set up the {name} connector in Airbyte",
        "For Airbyte Cloud:",
        "For Airbyte Open Source:",
        CONNECTOR_SPECIFIC,
        "Performance considerations",
        "Data type map",
        "Limitations & Troubleshooting",
        "Tutorials",
    ]


_HEADING = re.compile(r"^(#{1,4})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")


def headings(markdown: str) -> List[str]:
    """The text of every heading of levels 1 to 4, in order, outside fenced code blocks."""
    found: List[str] = []
    fence: Optional[str] = None
    for line in markdown.splitlines():
        opening = _FENCE.match(line)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            heading = _HEADING.match(line)
            if heading:
                found.append(heading.group(2))
    return found


def headings_out_of_order(actual: List[str], name: str) -> Optional[str]:
    """None when `actual` follows the template, else what the QA check would say."""
    expected, skippable = template(name), optional(name)
    a = e = 0
    while a < len(actual) and e < len(expected):
        if expected[e] == CONNECTOR_SPECIFIC:
            if actual[a] not in expected:
                a += 1
            else:
                e += 1
            continue
        if actual[a] == expected[e]:
            a += 1
            e += 1
            continue
        if expected[e] in skippable:
            e += 1
            continue
        return f"heading {actual[a]!r} is out of place: the template expects {expected[e]!r} here"
    missing = [heading for heading in expected[e:] if heading not in skippable]
    return f"required headings missing: {missing}" if missing else None


def _connector_name() -> str:
    return yaml.safe_load((ROOT / "metadata.yaml").read_text(encoding="utf-8"))["data"]["name"]


def test_the_docs_page_follows_the_heading_order_of_airbytes_template() -> None:
    assert headings_out_of_order(headings(DOCS.read_text(encoding="utf-8")), _connector_name()) is None


def test_the_page_title_is_the_connector_name_from_metadata() -> None:
    assert headings(DOCS.read_text(encoding="utf-8"))[0] == _connector_name()


def test_a_connector_section_between_sync_modes_and_streams_is_out_of_order() -> None:
    page = headings(DOCS.read_text(encoding="utf-8"))
    moved = [heading for heading in page if heading != "Checkpoints and resuming"]
    moved.insert(moved.index("Supported Streams"), "Checkpoints and resuming")

    assert headings_out_of_order(moved, _connector_name()) == (
        "heading 'Checkpoints and resuming' is out of place: the template expects 'Supported Streams' here"
    )


def test_a_section_of_its_own_under_the_data_type_map_is_out_of_order() -> None:
    # The template has no room for connector headings between "Data type map" and
    # "Limitations & Troubleshooting": a table or a paragraph, not a new heading.
    page = headings(DOCS.read_text(encoding="utf-8"))
    page.insert(page.index("Data type map") + 1, "Canonical types")

    assert headings_out_of_order(page, _connector_name()) is not None


def test_a_missing_required_heading_is_reported() -> None:
    page = [heading for heading in headings(DOCS.read_text(encoding="utf-8")) if heading != "Changelog"]

    assert headings_out_of_order(page, _connector_name()) == "required headings missing: ['Changelog']"


def test_headings_inside_code_blocks_are_not_headings() -> None:
    markdown = "# Title\n\n```bash\n# a comment\n```\n\n## Real\n"

    assert headings(markdown) == ["Title", "Real"]

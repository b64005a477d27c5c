"""Writes builder/manifest.yaml, the Builder edition, from the spine (source_sendoso/manifest.yaml).

    python -m builder            # write it (`make builder`)
    python -m builder --check    # exit 1 when the committed file is not what the spine makes

The edition is the spine itself, with one change: the Connector Builder reads no files beside
the manifest, so each stream's schema (schemas/<stream>.json) is inlined under `schemas`, as
the Builder's own exports do, and each stream refers to its own.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
SPINE = REPO / "source_sendoso" / "manifest.yaml"
SCHEMAS = REPO / "schemas"
EDITION = REPO / "builder" / "manifest.yaml"

HEADER = """\
# Sendoso, the Builder edition: import this file in Airbyte's Connector Builder (Import YAML).
# Written by `make builder` from source_sendoso/manifest.yaml, the spine the Python package
# shares; edit the spine, not this file. docs/sendoso.md says what the package adds.
"""

# The stream definitions every stream of the spine is made from; each takes its schema file
# by the stream's name.
_BASE_STREAMS = {"#/definitions/sendoso_list_stream", "#/definitions/sendoso_root_stream", "#/definitions/hub_list_stream"}


def edition(spine: dict[str, Any]) -> dict[str, Any]:
    """The Builder edition of a spine manifest: its schemas inlined."""
    manifest = json.loads(json.dumps(spine))  # a deep copy, and proof that it is plain JSON
    used: set[str] = set()

    def inline(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("$ref") in _BASE_STREAMS and "name" in node and "schema_loader" not in node:
                node["schema_loader"] = {"type": "InlineSchemaLoader", "schema": {"$ref": f"#/schemas/{node['name']}"}}
                used.add(node["name"])
            for value in node.values():
                inline(value)
        elif isinstance(node, list):
            for value in node:
                inline(value)

    inline(manifest["definitions"])
    for base in _BASE_STREAMS:
        manifest["definitions"][base.rsplit("/", 1)[1]].pop("schema_loader")
    del manifest["definitions"]["schema_file"]
    manifest["schemas"] = {name: json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8")) for name in sorted(used)}
    return manifest


def edition_text() -> str:
    spine = yaml.safe_load(SPINE.read_text(encoding="utf-8"))
    return HEADER + yaml.safe_dump(edition(spine), sort_keys=False, allow_unicode=True, width=200)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when builder/manifest.yaml is not what the spine makes")
    args = parser.parse_args(argv)
    text = edition_text()
    if args.check:
        if not EDITION.exists() or EDITION.read_text(encoding="utf-8") != text:
            print("builder/manifest.yaml is not what source_sendoso/manifest.yaml makes: run `make builder`.", file=sys.stderr)
            return 1
        return 0
    EDITION.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

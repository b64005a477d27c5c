"""metadata.yaml, as Airbyte's metadata service and connector QA checks read it.

The schema below mirrors the registry's `ConnectorMetadataDefinitionV0` for the keys this
connector uses (the service rejects unknown keys under `data`), and the tests after it
hold the facts that must agree across files: version, names, base image, hosts, icon.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

SEMVER = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$"
PINNED_BASE_IMAGE = r"^docker\.io/airbyte/python-connector-base:[0-9]+\.[0-9]+\.[0-9]+@sha256:[0-9a-f]{64}$"

_REGISTRY_OVERRIDE = {
    "type": "object",
    "required": ["enabled"],
    "properties": {"enabled": {"type": "boolean"}},
}

METADATA_SCHEMA: Dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["metadataSpecVersion", "data"],
    "additionalProperties": False,
    "properties": {
        "metadataSpecVersion": {"type": "string"},
        "data": {
            "type": "object",
            "required": [
                "name",
                "definitionId",
                "connectorType",
                "dockerRepository",
                "dockerImageTag",
                "license",
                "documentationUrl",
                "githubIssueLabel",
                "connectorSubtype",
                "releaseStage",
            ],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "icon": {"type": "string"},
                "definitionId": {"type": "string"},
                "connectorBuildOptions": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"baseImage": {"type": "string"}},
                },
                "connectorTestSuitesOptions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["suite"],
                        "additionalProperties": False,
                        "properties": {
                            "suite": {"enum": ["unitTests", "integrationTests", "acceptanceTests", "liveTests"]},
                            "testSecrets": {"type": "array"},
                            "testConnections": {"type": "array"},
                        },
                    },
                },
                "connectorType": {"enum": ["source", "destination"]},
                "dockerRepository": {"type": "string"},
                "dockerImageTag": {"type": "string", "pattern": SEMVER},
                "license": {"type": "string"},
                "documentationUrl": {"type": "string", "pattern": "^https://"},
                "githubIssueLabel": {"type": "string"},
                "maxSecondsBetweenMessages": {"type": "integer"},
                "releaseDate": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                "connectorSubtype": {"enum": ["api", "database", "datalake", "file", "custom", "message_queue", "unknown", "vectorstore"]},
                "releaseStage": {"enum": ["alpha", "beta", "generally_available", "custom"]},
                "supportLevel": {"enum": ["community", "certified", "archived"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "registryOverrides": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"oss": _REGISTRY_OVERRIDE, "cloud": _REGISTRY_OVERRIDE},
                },
                "allowedHosts": {
                    "type": "object",
                    "properties": {"hosts": {"type": "array", "items": {"type": "string", "minLength": 1}}},
                },
                "releases": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "rolloutConfiguration": {
                            "type": "object",
                            "properties": {"enableProgressiveRollout": {"type": "boolean"}},
                        },
                        "breakingChanges": {"type": "object"},
                        "migrationDocumentationUrl": {"type": "string"},
                    },
                },
                "suggestedStreams": {
                    "type": "object",
                    "properties": {"streams": {"type": "array", "items": {"type": "string"}}},
                },
                "ab_internal": {
                    "type": "object",
                    "properties": {
                        "sl": {"enum": [0, 100, 200, 300]},
                        "ql": {"enum": [0, 100, 200, 300, 400, 500, 600]},
                    },
                },
                "remoteRegistries": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "pypi": {
                            "type": "object",
                            "required": ["enabled", "packageName"],
                            "additionalProperties": False,
                            "properties": {"enabled": {"type": "boolean"}, "packageName": {"type": "string"}},
                        }
                    },
                },
                "supportsRefreshes": {"type": "boolean"},
                "supportsFileTransfer": {"type": "boolean"},
            },
        },
    },
}


@pytest.fixture(scope="module")
def metadata() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "metadata.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def data(metadata: Dict[str, Any]) -> Dict[str, Any]:
    return metadata["data"]


@pytest.fixture(scope="module")
def project() -> Dict[str, Any]:
    """pyproject.toml's [tool.poetry], where Airbyte's checks read a connector's version and license."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["tool"]["poetry"]


@pytest.fixture(scope="module")
def spec() -> Dict[str, Any]:
    manifest = yaml.safe_load((ROOT / "source_sendoso" / "manifest.yaml").read_text(encoding="utf-8"))
    return manifest["spec"]


def test_metadata_is_valid_against_the_registry_schema(metadata: Dict[str, Any]) -> None:
    errors = sorted(jsonschema.Draft7Validator(METADATA_SCHEMA).iter_errors(metadata), key=lambda e: list(e.path))

    assert not errors, "\n".join(f"{'.'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors)


def test_the_cdk_tooling_reads_it_as_a_python_connector_with_a_base_image(data: Dict[str, Any]) -> None:
    """`airbyte-cdk image build` / `connector test` load metadata.yaml with this model."""
    from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile

    parsed = MetadataFile.from_file(ROOT / "metadata.yaml")

    assert parsed.data.language == ConnectorLanguage.PYTHON
    assert parsed.data.connectorBuildOptions.baseImage == data["connectorBuildOptions"]["baseImage"]
    assert parsed.data.dockerRepository == "airbyte/source-sendoso"


def test_metadata_spec_version_is_1_0(metadata: Dict[str, Any]) -> None:
    assert metadata["metadataSpecVersion"] == "1.0"


def test_connector_is_a_community_alpha_api_source(data: Dict[str, Any]) -> None:
    assert (data["connectorType"], data["connectorSubtype"]) == ("source", "api")
    assert (data["releaseStage"], data["supportLevel"]) == ("alpha", "community")
    assert data["name"] == "Sendoso"
    assert data["ab_internal"] == {"sl": 100, "ql": 100}
    assert data["registryOverrides"]["cloud"]["enabled"] is True
    assert data["registryOverrides"]["oss"]["enabled"] is True


def test_docker_image_tag_is_the_package_version(data: Dict[str, Any], project: Dict[str, Any]) -> None:
    assert re.match(SEMVER, project["version"])
    assert data["dockerImageTag"] == project["version"]


def test_definition_id_is_a_canonical_uuid(data: Dict[str, Any]) -> None:
    value = data["definitionId"]

    assert isinstance(value, str)
    assert str(uuid.UUID(value)) == value  # lower case, hyphenated, 36 characters


def test_base_image_is_the_python_connector_base_pinned_by_digest(data: Dict[str, Any]) -> None:
    assert re.match(PINNED_BASE_IMAGE, data["connectorBuildOptions"]["baseImage"])


def test_tags_name_the_language_and_the_cdk(data: Dict[str, Any]) -> None:
    assert {"language:python", "cdk:low-code"} <= set(data["tags"])
    assert len([tag for tag in data["tags"] if tag.startswith("language:")]) == 1


def test_names_derive_from_the_package_name(data: Dict[str, Any], project: Dict[str, Any]) -> None:
    name = project["name"]  # source-sendoso

    assert data["dockerRepository"] == f"airbyte/{name}"
    assert data["githubIssueLabel"] == name
    assert data["remoteRegistries"]["pypi"] == {"enabled": True, "packageName": f"airbyte-{name}"}
    assert name in project["scripts"]


def test_license_matches_the_package_license(data: Dict[str, Any], project: Dict[str, Any]) -> None:
    assert data["license"] == project["license"] == "MIT"


def test_documentation_url_is_the_one_the_spec_shows(data: Dict[str, Any], spec: Dict[str, Any]) -> None:
    assert data["documentationUrl"] == spec["documentation_url"] == "https://docs.airbyte.com/integrations/sources/sendoso"


def test_every_test_suite_is_declared_without_secrets(data: Dict[str, Any]) -> None:
    suites = {entry["suite"]: entry for entry in data["connectorTestSuitesOptions"]}

    assert set(suites) == {"unitTests", "integrationTests", "acceptanceTests"}
    assert all(not entry.get("testSecrets") for entry in suites.values())


def _spec_properties(node: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every (dotted path, property schema) of the connection specification, through oneOf variants."""
    for name, prop in (node.get("properties") or {}).items():
        path = f"{prefix}{name}"
        yield path, prop
        yield from _spec_properties(prop, f"{path}.")
        for variant in prop.get("oneOf") or ():
            yield from _spec_properties(variant, f"{path}.")


def test_allowed_hosts_cover_every_default_url_of_the_spec(data: Dict[str, Any], spec: Dict[str, Any]) -> None:
    hosts: List[str] = data["allowedHosts"]["hosts"]
    defaults = [
        prop["default"]
        for _, prop in _spec_properties(spec["connection_specification"])
        if isinstance(prop.get("default"), str) and prop["default"].startswith("https://")
    ]

    assert defaults, "the spec has no default URLs: is it still the Sendoso spec?"
    for url in defaults:
        assert urlparse(url).hostname in hosts, url
    assert "app.staging.sendo.so" in hosts


def test_allowed_host_variables_name_config_fields(data: Dict[str, Any], spec: Dict[str, Any]) -> None:
    """Airbyte fills `${a.b}` from the config's a.b (dot notation); a typo would silently never match."""
    fields = {path for path, _ in _spec_properties(spec["connection_specification"])}
    variables = [v for host in data["allowedHosts"]["hosts"] for v in re.findall(r"\$\{([^}]+)\}", host)]

    assert "backend.base_url" in variables
    assert set(variables) <= fields


def test_icon_is_a_square_svg(data: Dict[str, Any]) -> None:
    icon = ROOT / data["icon"]
    root = ElementTree.parse(icon).getroot()

    assert data["icon"] == "icon.svg"
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, width, height = (float(n) for n in root.attrib["viewBox"].split())
    assert width == height


def _dockerfile_instructions() -> List[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_is_built_on_the_metadata_base_image(data: Dict[str, Any]) -> None:
    images = [rest.split()[0] for keyword, rest in _dockerfile_instructions() if keyword == "FROM"]

    assert images and set(images) == {data["connectorBuildOptions"]["baseImage"]}


def test_dockerfile_runs_the_console_script_and_labels_the_version(project: Dict[str, Any]) -> None:
    instructions = _dockerfile_instructions()

    assert ("ENTRYPOINT", '["source-sendoso"]') in instructions
    assert ("ENV", 'AIRBYTE_ENTRYPOINT="source-sendoso"') in instructions
    assert ("LABEL", f"io.airbyte.version={project['version']}") in instructions
    assert ("LABEL", "io.airbyte.name=airbyte/source-sendoso") in instructions
    assert project["scripts"]["source-sendoso"] == "source_sendoso.run:run"


def test_user_docs_have_a_changelog_entry_for_this_version(data: Dict[str, Any]) -> None:
    docs = (ROOT / "docs" / "sendoso.md").read_text(encoding="utf-8")
    changelog = docs.split("## Changelog", 1)[1]

    assert re.search(rf"^\|\s*{re.escape(data['dockerImageTag'])}\s*\|\s*[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}\s*\|", changelog, re.M)

"""The CDK's standard source test suite (`airbyte_cdk.test.standard_tests`), run in-process.

The suite reads its scenarios from `acceptance-test-config.yml`: one scenario per config file,
running the command of every section that lists it (`spec` -> the config matches the spec,
`connection` -> `check` reports the declared status, `discovery` -> `discover`, `basic_read` and
`full_refresh` -> a full-refresh `read` of every discovered stream that must return records valid
against their schemas). Both backends have a config there, so the suite runs on both.

What this file adds to the CDK's base class, and why:

- The connector is `SourceSendoso`, built with the scenario's config as `source-sendoso` builds it
  (the declarative source reads and discovers with the config it was constructed with).
- The configs point at the acceptance sandbox's fixed port; each scenario is pointed at the
  session's sandbox (`acceptance_sandbox` in conftest.py) before it runs.
- The catalog checks the CDK only warns about (`DiscoveredCatalogWarning`: schemas are valid JSON
  Schema, cursor and primary key fields exist in the schema, primary keys are scalars, types are
  supported ones) are errors here, twice over: the warning is turned into an error for every test
  of the class, and `test_discovered_catalog_passes_every_catalog_check` asserts every check of
  `CATALOG_CHECKS`, enforced or not, on the discovered catalog directly.
- Scenarios are generated only for the tests whose command they run. The CDK's own hook generates
  every test for every config and skips the combinations a config's sections do not ask for.
- `expect_records` is dropped from the `basic_read` entries before the CDK reads the file: the CDK
  rejects the key because it does not compare records, while `test_acceptance.py` does (as the
  Docker-based acceptance runner would). Any other key the CDK rejects still fails collection.
- The Docker image tests are not collected: there is no Docker engine here, and they build the
  image and query the public registry. `test_packaging.py` builds and runs what the Dockerfile does.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

import pytest
import yaml
from boltons.typeutils import classproperty

from airbyte_cdk.models import Type
from airbyte_cdk.test import standard_tests
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.models.scenario import REMOVED_ENTRY_KEYS
from airbyte_cdk.test.standard_tests._catalog_checks import (
    CATALOG_CHECKS,
    find_catalog_problems,
    format_catalog_problems,
)
from airbyte_cdk.test.standard_tests._job_runner import IConnector, run_test_job
from airbyte_cdk.utils.connector_paths import ACCEPTANCE_TEST_CONFIG

from source_sendoso import SourceSendoso

# The command each scenario-driven test runs; a scenario is generated for a test only when its
# config is listed under a section that runs that command. A test the CDK adds later, with a
# `scenario` argument, fails collection here until it is mapped.
COMMAND_OF_TEST = {
    "test_config_matches_spec": "spec",
    "test_check": "check",
    "test_discover": "discover",
    "test_discovered_catalog_passes_every_catalog_check": "discover",
    "test_basic_read": "read",
    "test_fail_read_with_bad_catalog": "read",
}

# Keys of acceptance-test-config.yml entries that the CDK rejects because it does not run their
# check, and that this repository runs itself (test_acceptance.py), by section.
CHECKED_ELSEWHERE = {"basic_read": {"expect_records"}}

# The catalog checks the CDK (7.39) reports as warnings only; asserted here as errors.
ADVISORY_CATALOG_CHECKS = {
    "schemas are valid JSON schema",
    "cursor fields exist in schema",
    "primary keys exist in schema",
    "primary keys have scalar types",
    "supported data types",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "scenario" not in metafunc.fixturenames or metafunc.cls is None:
        return
    command = COMMAND_OF_TEST[metafunc.function.__name__]
    scenarios = [scenario for scenario in metafunc.cls.get_scenarios() if scenario.runs(command)]
    assert scenarios, f"acceptance-test-config.yml lists no config that runs `{command}`"
    metafunc.parametrize("scenario", scenarios, ids=[scenario.id for scenario in scenarios])


@pytest.mark.filterwarnings("error::airbyte_cdk.test.standard_tests.DiscoveredCatalogWarning")
class TestSourceSendosoStandardSuite(standard_tests.SourceTestSuiteBase):
    connector = SourceSendoso
    connector_name = "source-sendoso"

    # Not collected (see the module docstring): they need a Docker engine and the registry.
    test_docker_image_build_and_spec = None
    test_docker_image_spec_backward_compatibility = None
    test_docker_image_build_and_check = None
    test_docker_image_build_and_config_matches_spec = None
    test_docker_image_build_and_discover = None
    test_docker_image_build_and_read = None

    @classproperty
    def acceptance_test_config(cls) -> Any:
        path = cls.get_connector_root_dir() / ACCEPTANCE_TEST_CONFIG
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        stripped = copy.deepcopy(config)
        for section, keys in CHECKED_ELSEWHERE.items():
            assert keys <= set(REMOVED_ENTRY_KEYS), "only keys the CDK rejects need stripping"
            for entry in stripped["acceptance_tests"].get(section, {}).get("tests", []):
                for key in keys:
                    entry.pop(key, None)
        return stripped

    @classmethod
    def create_connector(cls, scenario: Optional[ConnectorTestScenario]) -> IConnector:
        config = (
            scenario.get_config_dict(connector_root=cls.get_connector_root_dir(), empty_if_missing=True) if scenario is not None else {}
        )
        return SourceSendoso(config=config or None)

    @pytest.fixture(autouse=True)
    def _use_the_acceptance_sandbox(self, acceptance_sandbox: Any) -> None:
        self._sandbox = acceptance_sandbox

    def _live(self, scenario: ConnectorTestScenario) -> ConnectorTestScenario:
        """The scenario, its config pointed at this session's sandbox instead of the fixed port."""
        assert scenario.config_path is not None
        return scenario.model_copy(update={"config_dict": self._sandbox.load(scenario.config_path)})

    # The CDK's scenario tests, each on the scenario pointed at the live sandbox.

    def test_config_matches_spec(self, scenario: ConnectorTestScenario) -> None:
        super().test_config_matches_spec(self._live(scenario))

    def test_check(self, scenario: ConnectorTestScenario) -> None:
        super().test_check(self._live(scenario))

    def test_discover(self, scenario: ConnectorTestScenario) -> None:
        super().test_discover(self._live(scenario))

    def test_basic_read(self, scenario: ConnectorTestScenario) -> None:
        super().test_basic_read(self._live(scenario))

    def test_fail_read_with_bad_catalog(self, scenario: ConnectorTestScenario) -> None:
        super().test_fail_read_with_bad_catalog(self._live(scenario))

    # Added: the CDK's advisory catalog checks, asserted.

    def test_discovered_catalog_passes_every_catalog_check(self, scenario: ConnectorTestScenario) -> None:
        live = self._live(scenario)
        result = run_test_job(
            self.create_connector(live),
            "discover",
            connector_root=self.get_connector_root_dir(),
            test_scenario=live.with_expecting_success(),
        )
        catalogs = result.get_message_by_types([Type.CATALOG])
        assert len(catalogs) == 1 and catalogs[0].catalog is not None
        # If the CDK renames or drops one of the checks this file promises to enforce, say so.
        assert ADVISORY_CATALOG_CHECKS <= {check.name for check in CATALOG_CHECKS}
        problems = find_catalog_problems(catalogs[0].catalog, CATALOG_CHECKS)
        assert not problems, f"The discovered catalog has problems:\n{format_catalog_problems(problems)}"

"""Config errors that name the field to fix.

The CDK checks the config against the spec before anything else runs, and reports the
first jsonschema message it meets ("0 is less than the minimum of 1", or, inside the
backend's oneOf, the other backend's `backend_type`). This module reports instead the
error of the backend the user chose, with the field's path, and never a secret's value.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


def check_config(config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    """Raises a config error naming the first invalid field, or returns."""
    error = _first_error(config, spec)
    if error is None:
        return
    path = ".".join(str(part) for part in error.absolute_path) or "(the config itself)"
    message = f"Config field '{path}' is invalid: {_describe(error)}"
    raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


def _first_error(config: Mapping[str, Any], spec: Mapping[str, Any]) -> Optional[ValidationError]:
    errors: List[ValidationError] = sorted(Draft7Validator(spec).iter_errors(config), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    if error.validator == "oneOf" and list(error.absolute_path) == ["backend"]:
        return _error_in_chosen_backend(config, spec, error) or error
    return error


def _error_in_chosen_backend(config: Mapping[str, Any], spec: Mapping[str, Any], error: ValidationError) -> Optional[ValidationError]:
    backend = config.get("backend")
    chosen = backend.get("backend_type") if isinstance(backend, Mapping) else None
    branches = spec["properties"]["backend"]["oneOf"]
    for branch in branches:
        if branch["properties"]["backend_type"].get("const") == chosen:
            nested = sorted(Draft7Validator(branch).iter_errors(backend), key=lambda e: list(e.absolute_path))
            if nested:
                # Re-anchor the branch's error under `backend` so its path is the config's.
                nested[0].path.appendleft("backend")
                return nested[0]
            return None
    kinds = ", ".join(repr(branch["properties"]["backend_type"]["const"]) for branch in branches)
    return ValidationError(f"{chosen!r} is not a backend; use one of {kinds}", path=["backend", "backend_type"], validator="enum")


def _describe(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if schema.get("airbyte_secret"):
        return f"this secret does not satisfy '{error.validator}'."
    if error.validator == "pattern":
        expected = schema.get("pattern_descriptor") or f"text matching {schema.get('pattern')}"
        return f"{error.instance!r} is not of the form {expected}."
    if error.validator == "required":
        return f"{error.message}; add it."
    return f"{error.message}."

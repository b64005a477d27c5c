"""SourceSendoso: the declarative manifest, and nothing else, as an Airbyte source."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

from airbyte_cdk.models import ConfiguredAirbyteCatalog
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.source import TState

MANIFEST = Path(__file__).parent / "manifest.yaml"


class SourceSendoso(YamlDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[TState] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(path_to_yaml=str(MANIFEST), catalog=catalog, config=config, state=state, **kwargs)

    @staticmethod
    @lru_cache(maxsize=1)
    def connection_specification() -> Mapping[str, Any]:
        """The spec's JSON schema, read from the manifest without building the source."""
        return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["spec"]["connection_specification"]

    @property
    def dynamic_streams(self) -> List[Dict[str, Any]]:
        # Generic objects exist only on the hub; the direct API has no /objects to ask.
        backend = (self._config or {}).get("backend") or {}
        return super().dynamic_streams if backend.get("backend_type") == "cloud_elements" else []

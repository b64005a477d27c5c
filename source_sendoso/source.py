"""SourceSendoso: the declarative manifest, and nothing else, as an Airbyte source."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Mapping, Optional

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

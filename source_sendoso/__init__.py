"""Airbyte source connector for Sendoso."""

from source_sendoso.source import SourceSendoso

__all__ = ["SourceSendoso"]

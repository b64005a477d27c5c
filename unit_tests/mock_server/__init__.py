"""Request and response builders for in-process tests of the connector (HttpMocker)."""

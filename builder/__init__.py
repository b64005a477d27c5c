"""The Builder edition: the spine manifest as Airbyte Cloud's Connector Builder imports it."""

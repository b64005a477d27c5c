"""`make demo`: the connector's main job against the local sandbox."""

"""The cursors the package's component factory (overlay.py) puts around the CDK's own.

- `checkpoints.py`: a state after every page of an incremental stream, and resuming at that page;
- `windows.py`: the hub's sends read in windows of their cursor, resumable window by window;
- `wrapped.py`: what both leave to the CDK's cursor, and the highest cursor value of a slice.
"""

"""What the demo, the integration tests and the benchmarks share to drive the connector under
test against the sandbox. It sits beside the sandbox, not in it: the sandbox models the service
and knows nothing of the connector."""

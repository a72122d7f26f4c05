"""The local Datadog agent: the trace intake, and the REPORT and log recorders beside it."""

"""``python -m loadtest`` (``make load-test``): a bounded load on the local stack, traces checked.

Seed-like requests go to thinker-api on loopback, each carrying its own W3C ``traceparent`` so
its trace can be read back from the local APM; the run reports throughput, latency percentiles,
the count of 5xx and whether every request's trace is complete (:mod:`loadtest.integrity`).
"""

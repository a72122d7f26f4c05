"""Driving a local stack from outside, as tests, benchmarks and the load test do.

- :mod:`.ports`: free loopback ports, and waiting until one accepts connections.
- :mod:`.processes`: a process tree, stopped by PID whatever happens.
- :mod:`.stack`: ``python -m thinker_local up`` on free ports, ready when its ``up.json`` says so.
- :mod:`.reports`: Lambda's ``REPORT`` lines in the stack's output.
- :mod:`.traces`: a trace read back from the APM's JSON API.
- :mod:`.load`: one HTTP load loop with a hook per answer; :mod:`.progress`: its progress bar.
- :mod:`.subjects`: the subjects seed-like requests ask for.
- :mod:`.servers`: an aiohttp application served from a background thread.
"""

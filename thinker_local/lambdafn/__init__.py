"""Lambda, emulated: execution environments, their pool, the Runtime API, REPORT and log lines."""

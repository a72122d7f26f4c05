"""Running the local stack: what ``make up`` starts, what it shares with ``make sam-local``."""

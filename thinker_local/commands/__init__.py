"""The sub-commands of ``python -m thinker_local``."""

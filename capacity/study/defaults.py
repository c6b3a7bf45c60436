"""Defaults of the studies that the command line shows in its help (no heavy imports)."""

#: Episodes per failure kind, wherever the rare-failure estimate is made by default.
DEFAULT_EPISODES = 20

"""The chaos harness: the real bot, unattended, against the simulator under a seeded schedule of every fault.

`scripts/chaos` runs it (``python -m tests.chaos``); ``tests/chaos/test_chaos.py`` runs a short seeded run, and
shows that the harness catches a bug seeded into the bot. RELIABILITY.md has the figures and the commands.
"""

"""Replays: the real hedging loop against the simulator's engine on a stepped clock, and how well it hedged."""

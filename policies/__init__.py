"""Hedge policies: pure objects that turn a snapshot into hedge targets, registered by name."""

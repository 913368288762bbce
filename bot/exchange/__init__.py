"""The exchange port (what the bot needs from a venue) and its ccxt adapter."""

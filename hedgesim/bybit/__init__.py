"""The Bybit v5 REST face of the simulator: wire formats, authentication, rate limits, routes and the app."""

"""The hedgebot command line."""

"""The simulator's built-in API account. Cheap to import (nothing else): clients read the key and secret here."""

SIM_API_KEY = "hedgebot-sim-key"
SIM_API_SECRET = "hedgebot-sim-secret"

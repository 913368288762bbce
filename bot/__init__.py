"""hedgebot: a semi-automated hedge execution bot for spot crypto holdings."""

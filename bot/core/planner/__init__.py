"""The order planner: per instrument, sizing (lot, cap, band), pricing, slicing and re-pricing decisions."""

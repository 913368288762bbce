"""Execution: client order ids, approval, the executor, reconciliation and the loop."""

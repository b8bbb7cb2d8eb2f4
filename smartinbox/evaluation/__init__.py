"""Stress tests, the simulated-failure harness and the promotion gate."""

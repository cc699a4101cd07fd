"""Analyses over a validated scenario, each returning a typed result: Monte Carlo, sensitivity, break-even, optimiser, two-phase plan, response curves."""

"""Data for the HPA tests: fixtures that mirror upstream's fake clients, and ported tables."""

"""reopt: the application around the model (read, validate, scenario, solve, report, CLI)."""

"""The Pyomo formulation of SPEC §2: sets, variables, constraints, objective. No I/O."""

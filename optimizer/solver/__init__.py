"""The only modules that know HiGHS: the standard form of a Pyomo model and the solve."""

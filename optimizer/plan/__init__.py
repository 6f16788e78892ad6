"""A solved scenario as tables: the plan, its analyses, explanations, independent checks
and the changes against an earlier plan."""

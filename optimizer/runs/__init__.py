"""Many solves: executors, what-if comparisons and sweeps, the nightly replan, its history
and its lock."""

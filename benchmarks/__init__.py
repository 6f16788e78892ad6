"""Benchmarks (outside the default test run) and the synthetic workbooks they use."""

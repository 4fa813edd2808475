"""Benchmarks: our pipeline side by side with its peers and the physical floor (run ``python -m bench``).

Every figure is a median of several runs, and every comparison is a ratio measured in the same run,
so a noisy shared machine shifts both sides alike. Nothing here is imported by the package.
"""

"""Benchmarks: ``python -m bench`` runs them all and prints one table; ``python -m bench NAME`` one.

Each benchmark is a module ``bench/NAME.py`` with ``async def run(quick: bool = False) -> dict``
returning its figures (flat JSON-able values). The runner writes them to
``bench/results/NAME.json`` (git-ignored) and prints them. Figures are ratios against a baseline
measured in the same run wherever possible: the machines are shared and noisy.
"""

"""Keyboards are pure functions of their inputs; callback data classes sit beside them, per feature."""

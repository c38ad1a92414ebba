"""The rules of the domain as plain functions of plain values.

Only the standard library, Babel, tzdata and ``holidays`` are imported here: no aiogram, no
database (``tests/test_layers.py`` keeps it so). Each rule is tested with plain values.
"""

"""Builds the optional C helpers of modelcheck.state; everything else is in pyproject.toml.

``optional=True``: where no C compiler is available, the install goes on without them
and records use their pure-Python code, which behaves identically.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("modelcheck._speedups", ["modelcheck/_speedups.c"],
                             optional=True)])

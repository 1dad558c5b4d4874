"""`python -m dilmanc` runs the command line."""

from dilmanc.cli import run

run()

"""``python -m modelcheck`` runs the command line."""

from modelcheck.cli import main

main()

"""``python -m iqabench`` runs the command line."""

from .cli import main

main()

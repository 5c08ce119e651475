"""``python -m zhsearch`` runs the command line."""

from .cli import main

main()

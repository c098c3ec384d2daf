"""``python -m patrol`` is the ``patrol`` command."""

from patrol.cli import main

main()

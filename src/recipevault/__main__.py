"""``python -m recipevault``: the same as the ``recipevault`` command."""

from recipevault.cli import main

main()

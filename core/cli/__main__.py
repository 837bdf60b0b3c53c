"""``python -m yishi.cli``: the same as the ``yishi`` command."""

from yishi.cli import main

main()

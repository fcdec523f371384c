"""`python -m beykusay serve`: the same as the `beykusay` command."""

from beykusay.cli import main

main()

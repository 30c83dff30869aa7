#!/usr/bin/env python
"""Django's command-line utility, with Filamenta's settings selection."""

import sys


def main() -> None:
    from filamenta.environment import configure

    configure()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

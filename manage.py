#!/usr/bin/env python
"""Django's command-line utility; also installed as the ``qoldau`` console command."""

from qoldau.cli import main

if __name__ == "__main__":
    main()

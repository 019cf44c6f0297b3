#!/usr/bin/env python
"""Django's command-line utility; `tiski` is the same thing installed."""

from tiski.cli import main

if __name__ == "__main__":
    main()

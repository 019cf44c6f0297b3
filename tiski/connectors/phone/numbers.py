"""Phone numbers for the phone channel: the customers domain owns them.

Kept as a module of its own so the channel's code reads ``numbers.to_e164``;
the one implementation lives in `tiski.customers.phones`, which every path a
number enters by shares.
"""

from __future__ import annotations

from tiski.customers.phones import display, lookup_forms, to_e164

__all__ = ["display", "lookup_forms", "to_e164"]

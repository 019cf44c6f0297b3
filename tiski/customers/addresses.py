"""Addresses that belong to machines, not people: mail systems and no-reply boxes.

The mail loop rules (no automatic mail to them), bounce recognition and the
survey exclusions all ask the same question, so the answer lives with the
contacts, below every one of them.
"""

from __future__ import annotations

import re

_DAEMON_LOCALPART = re.compile(
    r"^(mailer[-_.]?daemon|mail[-_.]?daemon|post[-_]?master|poostmaster|"
    r"mail[-_.]?delivery([-_.]?(sub)?system)?)$",
    re.IGNORECASE,
)
_NO_REPLY_LOCALPART = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply)$", re.IGNORECASE)


def is_daemon(address: str) -> bool:
    """A mail system's name (the local part, or a whole address)."""
    return bool(_DAEMON_LOCALPART.match((address or "").partition("@")[0]))


def is_no_reply(address: str) -> bool:
    return bool(_NO_REPLY_LOCALPART.match((address or "").partition("@")[0]))


def is_daemon_address(address: str) -> bool:
    """A mail system (the same names bounces are recognised by) or a no-reply box."""
    local = (address or "").strip().rpartition("@")[0].partition("+")[0]
    return is_daemon(local) or is_no_reply(local)

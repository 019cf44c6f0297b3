"""Raw mail files written by threads ahead of the receipts that name them.

Creating a file takes several filesystem round trips (the folder, an
exclusive create, the write, the permissions); on a busy disk each waits
for the journal, and an import creates one per message: that wait was the
largest single cost of `tiski import-mail`. The importer hands a batch's
files to a few threads when it starts parsing the batch, so they are
written while the batch before it goes to the database, and `accept_new`
only names them. Files are still complete before the receipt rows that
name them commit. A file whose receipt is never stored (a crash, a key
taken by a parallel import) is left behind like those of a rolled-back
`accept`: unreferenced, harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.core.files.base import ContentFile

from tiski.connectors.models import InboundReceipt

# File creation waits on the disk, not the interpreter: a few threads keep
# several in flight.
THREADS = 4


def write_raw(raw: bytes) -> str:
    """Store one raw message where a receipt's ``raw`` field puts it; its name."""
    field = InboundReceipt._meta.get_field("raw")
    # The name depends on the date and a random part only, not on the row.
    name = field.generate_filename(None, "message.eml")
    return field.storage.save(name, ContentFile(raw), max_length=field.max_length)


class RawWriter:
    """A pool of threads writing raw messages; ``submit`` returns one future per message."""

    def __init__(self, threads: int = THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="tiski-raw-mail")

    def submit(self, raws: Sequence[bytes]) -> list[Future[str]]:
        return [self._pool.submit(write_raw, raw) for raw in raws]

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> RawWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

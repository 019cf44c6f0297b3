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

import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from tiski.connectors.models import InboundReceipt

# File creation waits on the disk, not the interpreter: a few threads keep
# several in flight.
THREADS = 4


def write_raw(raw: bytes) -> str:
    """Store one raw message where a receipt's ``raw`` field puts it; its name."""
    field = InboundReceipt._meta.get_field("raw")
    # The name depends on the date and a random part only, not on the row.
    name = field.generate_filename(None, "message.eml")
    storage = field.storage
    if _plain_files(storage):
        try:
            _create(storage.path(name), raw, storage.file_permissions_mode)
            return name
        except FileExistsError:
            pass  # a random name taken: the storage finds another
    return storage.save(name, ContentFile(raw), max_length=field.max_length)


def _plain_files(storage: object) -> bool:
    """A local folder whose folders need no mode of their own: the file can be
    created straight away. Django's own save also looks for a free name,
    locks the file and writes it in chunks through Python's file objects,
    which on an import's thousands of small files cost more interpreter time
    than the writing; the name here is random and created exclusively, so
    none of that is needed."""
    return isinstance(storage, FileSystemStorage) and storage.directory_permissions_mode is None


# Folders known to exist (one per month): created once per process, not
# asked for again with every file.
_made: set[str] = set()


def _create(path: str, raw: bytes, mode: int | None) -> None:
    folder = os.path.dirname(path)
    if folder not in _made:
        os.makedirs(folder, exist_ok=True)
        _made.add(folder)
    # Exclusive: never overwrites another receipt's file.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:  # the folder was removed since
        os.makedirs(folder, exist_ok=True)
        fd = os.open(path, flags, 0o666)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    if mode is not None:
        os.chmod(path, mode)


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

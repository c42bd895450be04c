"""Reading one document with bounded time and memory: in a child process.

Parsers are where a hostile or pathological file costs most (a .docx zip bomb reached
2.46 GB and was still reading after 180 s in the reliability audit, and stalled every
file after it). Each document is read and split in a forked child with an address-space
limit and a deadline; a child past either is killed and the file is reported by name and
skipped, so the run goes on. Forking shares the file's bytes with the child without a
copy and costs milliseconds, against the seconds a document takes to embed. The child
also refuses a document of more than MAX_PASSAGES passages before anything is embedded:
embedding dominates ingest time (about 7 passages per second on this 2-core machine
under load, audit F10), so this bounds the time and memory of the rest of the file.
"""

from __future__ import annotations

import multiprocessing
import os
import resource

from ingest.dates import written_date
from ingest.passages import Passage, split
from ingest.readers import Extracted, MB, Unreadable, read

READ_SECONDS = 120           # to read and split one file
READ_MEMORY = 1_500 * MB     # address space the child may add to what it inherits
MAX_PASSAGES = 5_000         # about 500,000 words: a 1,000-page report


def read_and_split(fmt: str, data: bytes) -> tuple[Extracted, list[Passage]]:
    """The document's metadata (its sections emptied) and its passages, or Unreadable."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(fmt, data, send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(READ_SECONDS):
            raise Unreadable(f"took more than {READ_SECONDS} s to read: a pathological or "
                             "hostile file (split it, or save it again from its program)")
        try:
            status, value = receive.recv()
        except EOFError:
            raise Unreadable(f"needed more than {READ_MEMORY // MB:,} MB of memory to read: "
                             "a pathological or hostile file") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if status == "unreadable":
        raise Unreadable(value)
    return value


def _child(fmt: str, data: bytes, send) -> None:
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = _address_space() + READ_MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY
                                                else min(limit, hard), hard))
        extracted = read(fmt, data)
        passages = split(extracted)
        if len(passages) > MAX_PASSAGES:
            raise Unreadable(f"too long ({len(passages):,} passages; the limit is "
                             f"{MAX_PASSAGES:,}): split it into smaller documents")
        # The passages carry the text; the date written at its top is read before it goes.
        extracted.written_date = written_date(
            [extracted.title or "", *(b.text for s in extracted.sections for b in s.blocks)])
        extracted.sections = []
        send.send(("ok", (extracted, passages)))
    except Unreadable as exc:
        send.send(("unreadable", str(exc)))
    except MemoryError:
        send.send(("unreadable", f"needed more than {READ_MEMORY // MB:,} MB of memory to "
                                 "read: a pathological or hostile file"))
    finally:
        send.close()
        os._exit(0)  # no cleanup of the parent's state (model threads, open database)


def _address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0

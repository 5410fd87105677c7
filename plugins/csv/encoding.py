"""Deciding a CSV file's encoding: stated, UTF-8, or what a detector is sure of.

The file is read once up front in binary chunks to fingerprint it (so an
interrupted pull resumes only on the same file) and to check the encoding.
The rule, in order:

* an ``encoding`` in the config is used as stated (a file that is clearly
  UTF-8 but set to a single-byte encoding is an error naming the setting);
* a file that decodes as UTF-8 (with or without a BOM) is UTF-8;
* a file with UTF-8 letters in it (``ü`` as the two bytes C3 BC) is UTF-8
  with some bad bytes: each row holding one is quarantined, the rest imported;
* otherwise charset-normalizer is asked; its answer is used only when every
  encoding it ranks as good as its best (within 0.01 of its chaos and its
  coherence) reads the file's bytes the same way and the
  whole file decodes in it, and the sync's summary says so. Else the file
  is read as UTF-8, and the rows that are not are quarantined.

Nothing is guessed silently, and no decode error ever stops a sync.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from hub import FatalError

CHUNK = 1 << 20
SAMPLE = 64 * 1024
_UTF8_LETTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
"""A well-formed UTF-8 sequence of two to four bytes: text a single-byte encoding would
hardly ever produce by chance (``Ã¼`` is how cp1252 reads the UTF-8 of ``ü``)."""


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the pre-pass learned about a file."""

    fingerprint: str
    size: int
    encoding: str
    note: str | None = None
    """What the sync's summary says about the choice, when a detector made it."""


def _single_byte(encoding: str) -> bool:
    """Whether ``encoding`` reads ASCII as ASCII and every other byte on its own (so a line
    break, a delimiter and a quote are the bytes they look like)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        if decoder.decode(b"\n,;\t|\"'azAZ09") != "\n,;\t|\"'azAZ09":
            return False
    except (LookupError, UnicodeDecodeError):
        return False
    for b in range(0x80, 0x100):
        try:
            if codecs.getincrementaldecoder(encoding)().decode(bytes([b])) == "":
                return False  # a lead byte, waiting for more: a multi-byte encoding
        except UnicodeDecodeError:
            continue
    return True


def _detected(path: Path, high: bytes) -> tuple[str, str] | None:
    """(encoding, its name as charset-normalizer gives it) when the detector is confident
    for the whole file, else None. ``high`` holds every byte over 0x7F the file has."""
    from charset_normalizer import from_path

    results = list(from_path(path))
    if not results:
        return None
    best = results[0]
    likely = [m for m in results if m.chaos <= best.chaos + 0.01
              and m.coherence >= best.coherence - 0.01]
    readings = set()
    for m in likely:
        if not _single_byte(m.encoding):
            return None
        try:
            readings.add(high.decode(m.encoding))
        except UnicodeDecodeError:
            return None
    if len(readings) != 1 or not _single_byte(best.encoding):
        return None
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                chunk.decode(best.encoding)
    except UnicodeDecodeError:
        return None
    return best.encoding, best.encoding


def inspect_file(path: Path, encoding: str | None, connector: str) -> FileFacts:
    """Fingerprint ``path`` and settle its encoding (see the module's rule)."""
    if not path.exists():
        raise FatalError(
            f"CSV file {path} does not exist",
            connector=connector,
            hint="check `path` in the connector's [[files]] section (relative paths start at the "
                 "config file's folder)",
        )
    digest = hashlib.blake2b(digest_size=16)
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, saw_multibyte, letters, bom = True, False, False, False
    high: set[int] = set()
    size = 0
    tail = b""
    with path.open("rb") as fh:
        first = True
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if first:
                bom = chunk.startswith(codecs.BOM_UTF8)
                first = False
            if not saw_multibyte and any(b >= 0x80 for b in chunk[:SAMPLE]):
                saw_multibyte = True
            if len(high) < 128:
                high.update(b for b in chunk if b >= 0x80)
            if not letters and _UTF8_LETTER.search(tail + chunk):
                letters = True
            tail = chunk[-3:]
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
        if utf8_ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
    fingerprint = digest.hexdigest()

    stated = (encoding or "").lower()
    if stated in ("utf-8", "utf-8-sig"):
        return FileFacts(fingerprint, size, "utf-8-sig")
    if stated:
        if utf8_ok and saw_multibyte and not bom:
            raise FatalError(
                f"{path.name} is set to {encoding} but its text is UTF-8 "
                "(accented letters would be misread, e.g. 'é' as 'Ã©')",
                connector=connector,
                hint='set `encoding = "utf-8"` for this file',
            )
        return FileFacts(fingerprint, size, stated)
    if utf8_ok or letters:
        return FileFacts(fingerprint, size, "utf-8-sig")
    found = _detected(path, bytes(sorted(high)))
    if found is None:
        return FileFacts(fingerprint, size, "utf-8-sig")
    chosen, name = found
    return FileFacts(fingerprint, size, chosen, note=(
        f"{path.name} read as {name}: it is not UTF-8, and charset-normalizer is confident "
        "for the whole file (set `encoding` for this file to choose)"))

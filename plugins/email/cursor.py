"""The email connector's cursor: the folder's UIDVALIDITY and the highest UID read."""

from __future__ import annotations

from hub import Cursor


class FolderCursor(Cursor):
    """How far the IMAP folder was read.

    UIDs mean something only under the UIDVALIDITY they were read with: when
    the server reports another one, the folder is read again from the start.
    Stored as ``{"uidvalidity":1700000000,"uid":42}`` (compact, as before).
    """

    json_separators = (",", ":")
    unreadable = "email cursor %r is not one this connector wrote: reading the folder again"

    uidvalidity: int
    uid: int

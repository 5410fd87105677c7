"""Where a pull got to, declared as a model: the cursor every connector stores the same way.

A connector declares its cursor as a subclass of :class:`Cursor` with the
fields it needs, hands one to each :class:`~hub.contract.page.Page`,
and reads the saved one back at the start of :meth:`Connector.pull
<hub.contract.connector.Connector.pull>`::

    class AcmeCursor(Cursor):
        updated_after: str

    def pull(self, entity, cursor):
        saved = AcmeCursor.load(cursor)          # None: read everything
        ...
        yield Page(records, cursor=AcmeCursor(updated_after=last))

The hub stores the text :meth:`Cursor.dump` writes (JSON of the fields, in
the order declared) and passes it back to ``pull`` as it was. A saved text
that is not JSON, or not this model's (another connector type once had the
name, a field changed meaning), is logged and read as ``None``: the pull
starts again from the top, which stores nothing twice.
"""

from __future__ import annotations

import json
import logging
from typing import ClassVar, Self

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)


class Cursor(BaseModel):
    """The base of a connector's cursor: a pydantic model stored as its JSON.

    Give a field that is sometimes absent ``Field(default=None, exclude_if=...)``
    to leave it out of the JSON. Two class settings exist for connectors whose
    cursors were stored before this base (so the text stays byte for byte what
    it was): ``json_separators`` (``json.dumps``' own by default) and
    ``unreadable``, the warning logged for a cursor that does not load.
    """

    json_separators: ClassVar[tuple[str, str]] = (", ", ": ")
    unreadable: ClassVar[str] = ("the saved cursor %r is not one this connector wrote: "
                                 "reading everything again")

    def dump(self) -> str:
        """The cursor as the hub stores it: JSON, non-ASCII escaped."""
        return json.dumps(self.model_dump(mode="json"), separators=self.json_separators)

    @classmethod
    def load(cls, text: str | None) -> Self | None:
        """The cursor saved as ``text``; ``None`` for none, or for one that is not this
        model's (logged): the caller then reads everything."""
        if not text:
            return None
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            log.warning(cls.unreadable, text[:80])
            return None

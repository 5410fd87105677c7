"""The CSV connector's cursor: per file, its fingerprint and how far it was read."""

from __future__ import annotations

from pydantic import BaseModel, field_serializer

from hub import Cursor


class FileMark(BaseModel):
    """One file's progress: its fingerprint, the data rows stored, whether it was finished."""

    done: bool
    fp: str
    rows: int


class CsvCursor(Cursor):
    """Where the files of one entity were read to, by cursor key (a path, or a glob's match).

    An unchanged file that was not finished resumes after ``rows``; a finished
    or changed one is read from the top. Stored with the keys sorted, as
    ``json.dumps(..., sort_keys=True)`` wrote it before this model.
    """

    files: dict[str, FileMark]

    @field_serializer("files")
    def _sorted(self, files: dict[str, FileMark]) -> dict[str, FileMark]:
        return {key: files[key] for key in sorted(files)}

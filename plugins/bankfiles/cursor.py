"""Where a pull of the statement folder got to: per file, its digest and items handed over."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hub import Cursor


class FileMark(BaseModel):
    """One file: its SHA-256, how many of its items (records and rejects) were handed over,
    and whether all were."""

    sha256: str
    items: int
    done: bool


class BankfilesCursor(Cursor):
    """By file name. An unchanged file not finished resumes after ``items``; any other file
    is read from the top (its entries keep their ids, so that stores nothing twice)."""

    files: dict[str, FileMark] = Field(default_factory=dict)

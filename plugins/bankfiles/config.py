"""The connector's TOML section.

::

    [connectors.bank]
    type = "bankfiles"
    path = "statements"        # a folder, relative to the config file
    pattern = "*.xml"          # which files in it (glob), default every file
    format = "auto"            # "auto" | "camt053" | "camt054" | "mt940" | "bai2" | "ofx"
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Format = Literal["auto", "camt053", "camt054", "mt940", "bai2", "ofx"]


class BankfilesConfig(BaseModel):
    """Where the statement files are and which format they are in."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1)
    pattern: str = "*"
    format: Format = "auto"
    page_size: int = Field(default=200, ge=1)

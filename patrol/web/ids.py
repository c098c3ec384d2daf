"""Database ids in the console's paths: ``/leads/{lead_id:id}``.

Starlette's ``int`` takes any run of digits, and an id past the database's key column (a
32-bit ``INTEGER`` on PostgreSQL: ``/leads/99999999999``) then failed in the driver as a
server error. An ``id`` is at most 10 digits, and one past the largest key is read as 0,
which no row has: the page is not found (404), like any other missing id.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

from patrol.config import LARGEST_ID

__all__ = ["LARGEST_ID", "IdConvertor"]


class IdConvertor(Convertor[int]):
    regex = "[0-9]{1,10}"

    def convert(self, value: str) -> int:
        number = int(value)
        return number if number <= LARGEST_ID else 0

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())

"""What the read functions take: a connection of its own or one lent by the pool (asyncpg's types
make `Pool.acquire()`'s proxy no subclass of `Connection`)."""

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy

"""Connections to the shards over Xapian's remote protocol, and what an unreachable shard means."""

from __future__ import annotations

import xapian

from ..errors import IndexLockedError, ZhsearchError
from .config import ClusterConfig, Shard

TIMEOUT_MS = 30_000  # a shard that answers a search nothing for this long counts as down
WRITE_TIMEOUT_MS = 600_000  # committing thousands of documents can take minutes on a busy machine
CONNECT_TIMEOUT_MS = 2_000


class ShardUnavailableError(ZhsearchError):
    """A shard of the cluster cannot be reached (and the search was asked to need every shard)."""

    hint = "check it with: zhsearch cluster status FILE"


def open_shard(shard: Shard) -> xapian.Database:
    """A read connection to ``shard``; ShardUnavailableError when it does not answer."""
    try:
        return xapian.remote_open(shard.host, shard.port, TIMEOUT_MS, CONNECT_TIMEOUT_MS)
    except xapian.Error as exc:
        raise ShardUnavailableError(f"shard {shard.address} is unreachable: {_reason(exc)}") from None


def open_writable(shard: Shard) -> xapian.WritableDatabase:
    """A write connection to ``shard`` (one writer per shard: Xapian's own lock says so)."""
    try:
        return xapian.remote_open_writable(shard.host, shard.port, WRITE_TIMEOUT_MS, CONNECT_TIMEOUT_MS)
    except xapian.DatabaseLockError:
        raise IndexLockedError(f"shard {shard.address} is being written by another process") from None
    except xapian.Error as exc:
        raise ShardUnavailableError(f"shard {shard.address} is unreachable: {_reason(exc)}") from None


def open_cluster_db(config: ClusterConfig, *, require_all: bool) -> tuple[xapian.Database, list[Shard], list[str]]:
    """One database searching each writable shard (or, while it is down, one of its replicas):
    (it, the shards in it, warnings about the shards left out)."""
    db = xapian.Database()
    used: list[Shard] = []
    warnings: list[str] = []
    shards = config.writable
    for shard in shards:
        for candidate in (shard, *config.replicas(shard)):
            try:
                db.add_database(open_shard(candidate))
            except ShardUnavailableError as exc:
                failure = exc
                continue
            used.append(candidate)
            break
        else:
            if require_all:
                raise failure
            warnings.append(str(failure))
    if not used:
        raise ShardUnavailableError(f"no shard of the cluster is reachable ({', '.join(s.address for s in shards)})")
    if warnings:
        warnings.append(
            f"results come from {len(used)} of the {len(shards)} shards: documents on the others are missing"
        )
    return db, used, warnings


def _reason(exc: xapian.Error) -> str:
    text = str(exc) or type(exc).__name__
    return text.split(" (context:")[0]

"""The Xapian cluster backend: shards served by ``xapian-tcpsrv``, searched as one by Xapian.

Needs the Xapian bindings (``pip install 'zhsearch[cluster]'``) and, to run shards, Xapian's
tools (``apt-get install xapian-tools``). Nothing here is imported by the embedded backend.
"""

from __future__ import annotations

from .config import ClusterConfig, ClusterConfigError, Shard
from .connect import ShardUnavailableError
from .searcher import ClusterIndex, open_cluster
from .writer import ClusterWriter, write_all

__all__ = ["ClusterConfig", "ClusterConfigError", "ClusterIndex", "ClusterWriter", "Shard",
           "ShardUnavailableError", "open_cluster", "write_all"]

"""The cluster file (TOML): which ``xapian-tcpsrv`` shards make the cluster, and its analyzer."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..text.analysis import AnalyzerConfig
from ..errors import ZhsearchError

ROLES = ("writable", "replica")


class ClusterConfigError(ZhsearchError):
    """The cluster file is missing or does not say what a cluster needs."""

    hint = "see README.md, section Past one machine (zhsearch cluster up writes one)"


@dataclass(frozen=True)
class Shard:
    """One Xapian database served by ``xapian-tcpsrv`` at ``host:port``."""

    host: str
    port: int
    role: str = "writable"  # or "replica": a copy of a writable shard, searched when that one is down
    path: str | None = None  # the database on this machine, when known (``cluster up``): for sizes
    replica_of: str | None = None  # a replica: the address of the writable shard it copies

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ClusterConfig:
    """A parsed cluster file; ``location`` is the file it came from."""

    shards: tuple[Shard, ...]
    analyzer: AnalyzerConfig = field(default_factory=AnalyzerConfig)
    location: Path | None = None

    @property
    def writable(self) -> tuple[Shard, ...]:
        """The shards documents are routed to, in the file's order (the routing depends on it)."""
        return tuple(s for s in self.shards if s.role == "writable")

    def replicas(self, shard: Shard) -> tuple[Shard, ...]:
        """The replicas of a writable shard."""
        return tuple(s for s in self.shards if s.replica_of == shard.address)

    @classmethod
    def load(cls, location: Path | str) -> ClusterConfig:
        path = Path(location)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ClusterConfigError(f"no cluster file at {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ClusterConfigError(f"cannot read the cluster file {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ClusterConfigError(f"the cluster file {path} is not valid TOML: {exc}") from None
        return cls.from_dict(data, location=path)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, location: Path | None = None) -> ClusterConfig:
        where = location or "the cluster file"
        raw = data.get("shards")
        if not isinstance(raw, list) or not raw:
            raise ClusterConfigError(f"{where} lists no [[shards]]")
        shards = []
        for n, entry in enumerate(raw, start=1):
            if not isinstance(entry, dict):
                raise ClusterConfigError(f"shard {n} of {where} is not a table")
            address = entry.get("address")
            if not isinstance(address, str) or address.count(":") != 1:
                raise ClusterConfigError(f"shard {n} of {where}: address must be \"host:port\", not {address!r}")
            host, _, port_text = address.partition(":")
            if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ClusterConfigError(f"shard {n} of {where}: {address!r} has no valid host and port")
            role = entry.get("role", "writable")
            if role not in ROLES:
                raise ClusterConfigError(f"shard {n} of {where}: role must be writable or replica, not {role!r}")
            path = entry.get("path")
            of = entry.get("replica_of")
            if (role == "replica") != bool(of):
                raise ClusterConfigError(f"shard {n} of {where}: a replica (and only a replica) names the "
                                         "writable shard it copies in replica_of")
            shards.append(Shard(host, int(port_text), role, str(path) if path else None, str(of) if of else None))
        if not any(s.role == "writable" for s in shards):
            raise ClusterConfigError(f"{where} has no writable shard")
        addresses = [s.address for s in shards]
        if len(set(addresses)) != len(addresses):
            raise ClusterConfigError(f"{where} lists a shard twice")
        writable = {s.address for s in shards if s.role == "writable"}
        for shard in shards:
            if shard.replica_of is not None and shard.replica_of not in writable:
                raise ClusterConfigError(f"{where}: {shard.address} is a replica of {shard.replica_of}, "
                                         "which is not a writable shard of the cluster")
        analyzer = data.get("analyzer", {})
        if not isinstance(analyzer, dict):
            raise ClusterConfigError(f"[analyzer] of {where} is not a table")
        words = analyzer.get("user_words", [])
        if analyzer.get("user_dict"):
            base = location.parent if location else Path(".")
            dictionary = base / str(analyzer["user_dict"])
            try:
                words = [line.strip() for line in dictionary.read_text(encoding="utf-8").splitlines() if line.strip()]
            except OSError as exc:
                raise ClusterConfigError(f"cannot read the user dictionary {dictionary}: {exc}") from None
        config = AnalyzerConfig(simplify=bool(analyzer.get("simplify", True)), hmm=bool(analyzer.get("hmm", True)),
                                user_words=tuple(words))
        return cls(tuple(shards), config, location)

    def to_toml(self) -> str:
        """The cluster file's text (strings written as JSON strings, which TOML reads the same)."""
        lines = ["# zhsearch cluster: each shard is one xapian-tcpsrv; documents are routed by a hash",
                 "# of their id over the writable shards in this order (do not reorder them).", ""]
        for shard in self.shards:
            lines.append("[[shards]]")
            lines.append(f"address = {json.dumps(shard.address)}")
            lines.append(f"role = {json.dumps(shard.role)}")
            if shard.replica_of:
                lines.append(f"replica_of = {json.dumps(shard.replica_of)}")
            if shard.path:
                lines.append(f"path = {json.dumps(shard.path, ensure_ascii=False)}")
            lines.append("")
        lines.append("[analyzer]")
        lines.append(f"simplify = {str(self.analyzer.simplify).lower()}")
        lines.append(f"hmm = {str(self.analyzer.hmm).lower()}")
        lines.append("user_words = [" + ", ".join(json.dumps(w, ensure_ascii=False) for w in self.analyzer.user_words) + "]")
        return "\n".join(lines) + "\n"

"""Service configuration from the environment (prefix ``POLYCLOB_``), with embedded defaults for a local stack."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clob.runtime import parse_gc_threshold

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything a service process needs to know; one instance per process."""

    model_config = SettingsConfigDict(env_prefix="POLYCLOB_", extra="ignore")

    database_url: str = Field(default=f"sqlite:///{ROOT / 'var' / 'polyclob.db'}", description="SQLAlchemy URL")
    sqlite_synchronous: str = "FULL"
    sqlite_checkpoint_s: float = Field(default=0.05, gt=0, description="how often the API checkpoints the SQLite WAL")
    sqlite_autocheckpoint: int = Field(
        default=10_000, ge=0, description="WAL pages before a commit checkpoints itself (a backstop)"
    )
    rpc_url: str = "http://127.0.0.1:8545"
    chain_id: int = 31337
    manifest_path: Path = ROOT / "var" / "deployment.json"
    exchange_address: str = ""
    collateral_address: str = ""
    ctf_address: str = ""
    master_secret_hex: str = Field(default="", description="≥32 bytes hex; derives API credentials")
    master_secret_path: Path = ROOT / "var" / "master.key"
    auth_window_s: int = 300
    heartbeat_timeout_s: float = 10.0
    balance_cache_s: float = 30.0
    check_balances: bool = True
    stream: str = "main"
    snapshot_every: int = 100_000
    max_batch: int = 512
    admin_token: str = ""
    verify_workers: int = Field(default=0, description="processes verifying order signatures (0: in the API process)")
    gc_threshold: str = Field(default="50000,50,100", description="gc.set_threshold for the API process (clob.runtime)")
    switch_interval_us: int = Field(
        default=200, ge=0, description="GIL switch interval of the API process (clob.runtime); 0: Python's default"
    )
    # --- deployment mode (docs/distributed.md) ---
    mode: Literal["embedded", "distributed"] = Field(
        default="embedded",
        description="embedded: this process sequences its stream; distributed: an API gateway over NATS JetStream",
    )
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="comma-separated NATS servers")
    shards: str = Field(default="s0", description="comma-separated shard (stream) names, distributed mode")
    stream_replicas: int = Field(default=1, description="JetStream replicas of each stream (3 in a cluster)")
    answer_timeout_s: float = Field(default=15.0, description="gateway: how long to wait for a command's outcome")
    gateway_id: str = Field(default="", description="gateway: name on the bus (default: host-pid)")

    @field_validator("gc_threshold")
    @classmethod
    def _gc_threshold(cls, value: str) -> str:
        if value:
            parse_gc_threshold(value)
        return value

    @property
    def shard_list(self) -> list[str]:
        return [s.strip() for s in self.shards.split(",") if s.strip()]

    @property
    def nats_servers(self) -> list[str]:
        return [s.strip() for s in self.nats_url.split(",") if s.strip()]

"""`ServerConfig`: everything `dilmanc serve` decides; `create_app(config)` needs nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dilmanc.errors import SettingError, UsageError
from dilmanc.pipeline.settings import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class ServerConfig:
    """Everything `dilmanc serve` decides; `create_app(config)` needs nothing else."""

    settings: Settings = field(default_factory=Settings)
    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: Path | None = None  # glossaries, jobs, files (default: $DILMANC_HOME/server)
    api_keys: Path | None = None  # keys file: keys are required when set
    allow_anonymous: bool = False  # serve a non-loopback address without keys
    char_limit: int = 10_000  # characters per request (-1: none)
    batch_limit: int = 128  # texts per request (-1: none)
    req_limit: int = -1  # requests per minute per key or client (-1: none)
    timeout: float = 60.0  # seconds a request may take
    batch_window_ms: float = 5.0
    max_batch: int = 0  # segments per merged engine call (0: the engine's batch size)
    max_queue: int = 4096  # segments waiting for the engines before 429
    max_upload_mb: float = 20.0
    alternatives_limit: int = 5
    suggestions: bool = False  # POST /suggest (into the service's translation memory)
    review: bool = False  # the review workspace at /review (dilmanc.review)
    files: bool = True  # document translation on
    file_ttl: float = 3600.0
    log_level: str = "info"
    # browser origins allowed on the LibreTranslate routes ("*": any; empty: no CORS)
    cors_origins: tuple[str, ...] = ("*",)
    metrics: bool = False  # GET /metrics in Prometheus format (dilmanc.server.metrics)

    def directory(self) -> Path:
        if self.data_dir is not None:
            return Path(self.data_dir)
        from dilmanc.models.hub import dilmanc_home

        return dilmanc_home() / "server"

    def check(self) -> ServerConfig:
        """Refuse an unsafe or impossible configuration (UsageError, one line)."""
        self.settings.validate()
        if self.host not in LOOPBACK and self.api_keys is None and not self.allow_anonymous:
            raise SettingError(
                "api_keys",
                f"serving {self.host} without API keys",
                template="{problem}: pass {option} FILE, or {allow_anonymous} if that is intended",
            )
        for name in ("timeout", "max_upload_mb"):
            if getattr(self, name) <= 0:
                raise SettingError(name, "must be positive")
        if self.batch_window_ms < 0 or self.max_queue < 1:
            raise UsageError("batch window must be >= 0 and the queue at least 1")
        return self

"""What one run of one metric did: scored now, found stored, missing, failed (now or before)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunSummary:
    """What one run of one metric did: scored now, found stored, missing, failed (now or before)."""

    metric: str
    dataset: str
    run_id: int | None
    total: int
    scored: int = 0
    stored: int = 0
    missing: int = 0
    failed: int = 0
    seconds: float = 0.0
    device: str = "none (nothing to score)"
    failures: list[tuple[str, str]] = field(default_factory=list)
    missing_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.missing == 0

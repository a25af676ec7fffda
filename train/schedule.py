"""When things happen in a run: the learning rate of each step, where the run stops, and the
fitting of the schedule to a time budget (--budget-minutes)."""

from __future__ import annotations

import dataclasses
import time

import torch

from .config import TrainConfig

BUDGET_WARMUP = 20  # steps skipped before timing, to fit a schedule to --budget-minutes


def learning_rate(cfg: TrainConfig, step: int, steps_per_epoch: int) -> float:
    """Constant for cfg.epochs, then linear decay to zero over cfg.epochs_decay."""
    decay_start = cfg.epochs * steps_per_epoch
    decay_steps = cfg.epochs_decay * steps_per_epoch
    if step < decay_start or decay_steps == 0:
        return cfg.lr
    return cfg.lr * max(0.0, 1.0 - (step - decay_start) / decay_steps)


def final_step(cfg: TrainConfig, steps_per_epoch: int) -> int:
    """The step where this run stops: the end of its schedule, or the --max-steps pause before it."""
    total_steps = (cfg.epochs + cfg.epochs_decay) * steps_per_epoch
    return min(total_steps, cfg.max_steps) if cfg.max_steps else total_steps


def budget_timed_enough(cfg: TrainConfig, steps: int, seconds: float) -> bool:
    """At least 60 steps and a tenth of the budget (at most 30 s): runs sharing a machine start at different times."""
    return steps >= 60 and seconds >= min(30.0, 0.1 * cfg.budget_minutes * 60)


def fit_to_budget(cfg: TrainConfig, step: int, steps_per_epoch: int, timed_steps: int, timed_s: float,
                  elapsed_s: float) -> TrainConfig:  # fmt: skip
    """Set epochs and epochs_decay, in their given ratio, so that the run ends within cfg.budget_minutes.

    A tenth of the budget is kept for validation and export.
    """
    seconds_per_step = timed_s / timed_steps
    steps = step + max(0.0, 0.9 * cfg.budget_minutes * 60 - elapsed_s) / seconds_per_step
    epochs = max(1, int(steps // steps_per_epoch))
    share = cfg.epochs / max(1, cfg.epochs + cfg.epochs_decay)
    constant = max(1, round(epochs * share)) if cfg.epochs else 0
    return dataclasses.replace(cfg, epochs=constant, epochs_decay=max(0, epochs - constant))


class Schedule:
    """The run's config and its step count: the learning rate, the epoch, the last step.

    With --budget-minutes (in a fresh run), fit(step, elapsed_s) times the steps after a warm-up
    and, once timed enough, replaces cfg's epochs and the last step to end within the budget.
    """

    def __init__(self, cfg: TrainConfig, steps_per_epoch: int, first_step: int, resume: bool):
        self.cfg, self.steps_per_epoch = cfg, steps_per_epoch
        self.last_step = final_step(cfg, steps_per_epoch)
        self.fitted = resume or not cfg.budget_minutes
        self.timed_from_step, self.timed_from = first_step + BUDGET_WARMUP, None

    def learning_rate(self, step: int) -> float:
        return learning_rate(self.cfg, step, self.steps_per_epoch)

    def epoch(self, step: int) -> int:
        return step // self.steps_per_epoch

    def ends_epoch(self, step: int) -> bool:
        """Whether step closes an epoch at which the run validates and exports (every --export-every)."""
        return step % self.steps_per_epoch == 0 and self.epoch(step) % self.cfg.export_every == 0

    def fit(self, step: int, elapsed_s: float) -> str | None:
        """Time this step for the budget; a message when the schedule was just fitted to it."""
        if self.fitted or step < self.timed_from_step:
            return None
        if self.timed_from is None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.timed_from = time.perf_counter()
            return None
        timed = (step - self.timed_from_step, time.perf_counter() - self.timed_from)
        if not budget_timed_enough(self.cfg, *timed):
            return None
        self.cfg = fit_to_budget(self.cfg, step, self.steps_per_epoch, *timed, elapsed_s)
        self.fitted, self.last_step = True, final_step(self.cfg, self.steps_per_epoch)
        return f"fitted to {self.cfg.budget_minutes} min: {self.cfg.epochs} + {self.cfg.epochs_decay} epochs, {self.last_step} steps"

"""gfiqa-prior checkpoint files (:class:`iqabench_training.checkpoints.CheckpointKind`): what
``iqabench train gfiqa-prior`` saves and resumes from, and what the metrics load.

One ``torch.save`` dict: ``format``; ``config`` (``model``: :class:`.model.ModelConfig`, ``losses``, ``settings``);
``pretrained`` (``random_weights`` and, per pretrained file, its name and sha256: the generator is not in the
checkpoint, only the record of the GFPGAN file it needs); ``model`` (the encoder's and predictor's state and w̄,
the latest) and ``best`` (the same at the best validation SRCC, §VI-A, with its epoch and figures);
``optimizer`` and ``progress`` (for resuming); ``data`` (the split's manifest); ``history`` (each epoch's losses
and validation figures) and ``test`` (the best model on the test part).
"""

from __future__ import annotations

from iqabench_training.checkpoints import CheckpointKind

KIND = CheckpointKind("gfiqa-prior", "iqabench-gfiqa-prior/1")
FORMAT = KIND.format
#: the user's trained checkpoint in the weights folder: ``$IQABENCH_WEIGHTS_DIR/gfiqa-prior/gfiqa-prior.pt``.
USER_FILE = ("gfiqa-prior.pt", "gfiqa-prior")
save, load = KIND.save, KIND.load


def load_for_scoring(path) -> dict:
    """A checkpoint read for scoring: memory-mapped, so the optimizer state it also holds is never read."""
    return KIND.load(path, mmap=True)


def trained_state(model) -> dict:
    """What a checkpoint keeps of the model: everything but the frozen generator (which comes from its file)."""
    return {name: value.detach().cpu().clone() for name, value in model.state_dict().items()
            if not name.startswith("generator.")}


__all__ = ["FORMAT", "KIND", "USER_FILE", "load", "load_for_scoring", "save", "trained_state"]


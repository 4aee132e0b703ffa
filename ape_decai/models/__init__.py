"""Bit-exact Python references of the on-chain models (see `base.py` for what each offers)."""

from ape_decai.models.base import ReferenceModel
from ape_decai.models.dense_perceptron import DensePerceptron
from ape_decai.models.naive_bayes import NaiveBayes
from ape_decai.models.ncc import NearestCentroid
from ape_decai.models.sparse_ncc import SparseNearestCentroid
from ape_decai.models.sparse_perceptron import SparsePerceptron

# Every model that can be trained and deployed, by its command-line name.
REFERENCE_MODELS: dict[str, type[ReferenceModel]] = {
    cls.model_id: cls
    for cls in (SparsePerceptron, DensePerceptron, NearestCentroid, SparseNearestCentroid, NaiveBayes)
}

__all__ = [
    "REFERENCE_MODELS",
    "DensePerceptron",
    "NaiveBayes",
    "NearestCentroid",
    "ReferenceModel",
    "SparseNearestCentroid",
    "SparsePerceptron",
]

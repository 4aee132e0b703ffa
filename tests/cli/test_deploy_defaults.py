"""`ape decai deploy`'s default deposit parameters: the recommendation measured in
docs/experiment.md ("Recommended deploy parameters"): t = 1 day, tc = ta = 60 days (the creator
takes nothing before anyone may)."""

from ape_decai.parameters import DepositParameters

from .conftest import DAY


def test_deposit_parameters__defaults_are_the_measured_recommendation():
    params = DepositParameters()
    assert (params.refund_wait, params.creator_wait, params.anyone_wait) == (DAY, 60 * DAY, 60 * DAY)
    assert params.constructor_args()[:3] == [DAY, 60 * DAY, 60 * DAY]


def test_deploy__no_wait_options__deploys_the_defaults(decai, chain, creator, model_file):
    out = decai.json("deploy", model_file, account=creator)
    contract = chain.contracts.instance_at(out["address"])
    assert (contract.refund_wait(), contract.creator_wait(), contract.anyone_wait()) == (DAY, 60 * DAY, 60 * DAY)


def test_deploy__help_states_the_defaults(decai):
    text = " ".join(decai.ok("deploy", "--help").stdout.split())
    creator_wait = text[text.index("--creator-wait") : text.index("--anyone-wait")]
    anyone_wait = text[text.index("--anyone-wait") : text.index("--cost-weight")]
    assert "tc = ta" in creator_wait and "[default: 60d]" in creator_wait
    assert "[default: 60d]" in anyone_wait

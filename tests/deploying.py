"""The one way the tests deploy a trainer: the plan `ape decai deploy` makes (`deployment.plan_model`).

Every factory of the tests (``deploy_deposit_trainer``, ``deploy_dense``, ``sparse_models.deploy``,
...) is this function with its own defaults. The plan gives the constructor's arguments in the
contract's order (model, `seal`, the mechanism's terms); a test changes any of them by the
constructor's parameter name, raw (``weight_words=[...]``, ``n_features=3``, ``seal=False``), so a
revert test can send what no twin would plan.
"""

from ape.utils import ManagerAccessMixin

from ape_decai import clones
from ape_decai.deployment import plan_model
from ape_decai.manifest import load_contract_type

TEST_ENCODER = '{"type": "test"}'


def constructor_names(contract_name: str) -> list[str]:
    """The constructor's parameter names (for a clone: its implementation's `create_trainer`)."""
    abi = load_contract_type(contract_name).abi
    if clones.is_cloned(contract_name):
        inputs = next(item for item in abi if getattr(item, "name", None) == "create_trainer").inputs
    else:
        inputs = next(item for item in abi if item.type == "constructor").inputs
    return [item.name for item in inputs]


def deploy_trainer(
    twin,
    mechanism: str = "deposit",
    *,
    sender,
    name: str = "Test",
    description: str = "A model for the tests",
    encoder: str = TEST_ENCODER,
    words_per_call: int = 128,
    complete: bool = True,
    **overrides,
):
    """Deploy a `mechanism` trainer of `twin` (a reference model) from `sender`.

    The constructor carries the first `words_per_call` words of the model; with `complete` the
    plan's initialisation calls follow and then `seal` (unless ``seal=False`` is overridden), as
    `ape decai deploy` does. A clone (the count models' deposit trainers) is created through its
    shared implementation, deployed first if the chain does not have it yet.
    """
    the_plan = plan_model(
        twin, mechanism, None, name=name, description=description, encoder=encoder, words_per_call=words_per_call
    )
    names = constructor_names(the_plan.contract_name)
    unknown = set(overrides) - set(names)
    if unknown:
        raise TypeError(f"unknown trainer parameter(s) of {the_plan.contract_name}: {sorted(unknown)}")
    args = {**dict(zip(names, the_plan.constructor_args, strict=True)), **overrides}
    if "doubt_wait" in args and "doubt_wait" not in overrides:
        args["doubt_wait"] = args["refund_wait"]  # the doubt wait off (td = t) unless a test sets it
    finish = bool(the_plan.init_calls) and complete
    if finish:
        args["seal"] = False  # sealed after the initialisation calls
    if clones.is_cloned(the_plan.contract_name):
        clones.ensure_implementation(the_plan.contract_name, sender)
        trainer = clones.create_trainer(the_plan.contract_name, list(args.values()), sender)[0]
    else:
        # The project's own compilation of contracts/ (the shipped types are compared with it in
        # tests/unit/test_manifest.py).
        container = getattr(ManagerAccessMixin.local_project, the_plan.contract_name)
        trainer = container.deploy(*args.values(), sender=sender)
    if finish:
        for method, call_args in the_plan.init_calls:
            getattr(trainer, method)(*call_args, sender=sender)
        if overrides.get("seal", True):
            trainer.seal(sender=sender)
    return trainer

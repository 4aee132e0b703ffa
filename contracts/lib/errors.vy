# pragma version ~=0.4.3
"""
@title Revert with a reason, sharing one encoder
@license MIT
@notice `if not condition: errors._fail("module: reason")` instead of
        `assert condition, "module: reason"`.
@dev The legacy code generator inlines the ABI encoding of Error(string) at
     every `assert ..., "reason"` (about 110 bytes each). The trainers carry
     about thirty checks, so routing them through one internal function
     saves about 1.5 kB of runtime code, i.e. ~300,000 gas of code deposit
     at every deployment, and costs nothing on the happy path: the reason
     is only built when the check fails.
@custom:security Reverts only; no state.
"""


@internal
@pure
def _fail(reason: String[96]):
    raise reason

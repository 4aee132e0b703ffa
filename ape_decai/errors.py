"""The one exception hierarchy of ape-decai, rooted in Ape's own `ApeException`.

Everything the package raises for a problem a user can fix is a `DecaiError`: one clear line,
raised before any transaction is sent. The CLI prints it as `Error: <message>` and exits 1; a
script catches `DecaiError` (or Ape's `ApeException`, which also covers contract refusals).
"""

from __future__ import annotations

from ape.exceptions import ApeException, ContractLogicError


class DecaiError(ApeException):
    """A problem the user can fix (the message says what and how)."""


class DeploymentError(DecaiError):
    """A deployment cannot start or resume as asked."""


class CloneError(DeploymentError):
    """A clones' shared implementation cannot be found or deployed on this chain."""


class DeclinedError(DecaiError):
    """The account's owner declined to sign (Ape's "Sign: [y/N]" prompt)."""


def one_line(err: BaseException) -> str:
    """The one line a problem is told in: a contract's refusal with its reason, anything else
    with its message's whitespace collapsed (the CLI's errors and `add-data --file`'s report)."""
    if isinstance(err, ContractLogicError):
        return f"the contract refused: {err.message}"
    return " ".join(str(err).split())

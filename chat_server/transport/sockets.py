"""The Socket.IO namespaces of one process, as the composition root built them."""

from __future__ import annotations

from dataclasses import dataclass

from .operator import OperatorNamespace
from .visitor import VisitorNamespace


@dataclass(frozen=True)
class Namespaces:
    visitor: VisitorNamespace
    operator: OperatorNamespace

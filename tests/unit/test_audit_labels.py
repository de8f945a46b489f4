"""Every audit action the server records has words in the console's audit log
(operator_console/src/views/admin.js ``actionLabel``): an action added on the server
without a label would show as "Other action" to the coordinator reading the log."""

from __future__ import annotations

import re
from pathlib import Path

from chat_server.services.audit import ACTIONS

ADMIN_JS = Path(__file__).resolve().parents[2] / "operator_console" / "src" / "views" / "admin.js"


def test_every_audit_action_has_a_label_in_the_console() -> None:
    source = ADMIN_JS.read_text(encoding="utf-8")
    block = source[source.index("function actionLabel") :]
    block = block[: block.index("};")]
    labelled = set(re.findall(r"\b([a-z_]+): _\(", block))
    assert ACTIONS - labelled == set(), "audit actions without a label in the console"
    assert labelled - ACTIONS == set(), "labels for actions the server never records"

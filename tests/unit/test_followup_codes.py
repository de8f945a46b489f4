"""Follow-up codes (services/followup.py): entropy, readability, normalisation, and
encryption under a key derived from the code."""

from __future__ import annotations

import math
import re

from chat_server.services import followup


def test_code_has_at_least_60_bits_and_reads_aloud() -> None:
    assert followup.CODE_BITS == 80.0 >= 60
    assert len(set(followup.ALPHABET)) == 32
    assert not set("ILOU") & set(followup.ALPHABET)  # no look-alikes, no accidental words
    code = followup.new_code()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    assert math.log2(len(followup.ALPHABET) ** followup.CODE_LEN) >= 60


def test_codes_are_random() -> None:
    assert len({followup.new_code() for _ in range(200)}) == 200


def test_forgiving_input() -> None:
    code = "7KQ2-M9XD-4RTA-HV3C"
    assert followup.normalise(code) == "7KQ2M9XD4RTAHV3C"
    assert followup.normalise(" 7kq2 m9xd 4rta hv3c ") == "7KQ2M9XD4RTAHV3C"
    assert followup.normalise("OOOO-IIII-LLLL-0000") == "0000111111110000"
    assert followup.normalise("7KQ2-M9XD-4RTA") is None
    assert followup.normalise("7KQ2-M9XD-4RTA-HV3!") is None
    assert followup.normalise(None) is None  # type: ignore[arg-type]

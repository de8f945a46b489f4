"""Operator events for routing, triage, referrals and follow-up codes. Mixed into
``OperatorNamespace`` (see operator.py)."""

from __future__ import annotations


class ReferralEventsMixin:
    """Handlers ``on_<event>(self, sid, data)`` for referral-related events."""

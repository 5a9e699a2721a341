"""The return itself (DESIGN §6b): travel documents and consular requests, referral of a voluntary
return to a partner, reintegration after departure, vulnerability and fitness to travel, removal
operations, documents stored with the case.

A subject package of the ``cases`` app: its models are imported by ``cases.models`` so that their
migrations stay in the ``cases`` app; every write is in ``cases.returns.services``.
"""

"""Notices to residents by e-mail and LINE: what happened to their wallet, in plain words.

A side of its own above the wallet side: it reads the sealed books (the chain
follower), the residents' preferences and contacts, and delivers through the
channels with retries. The other sides only write the outbox (kit.notice_outbox).
"""

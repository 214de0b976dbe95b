"""A city's facility-booking site that takes payment in the regional coin.

A reference integration: it talks to localcoin only over HTTP, through a client
generated from localcoin's ``/openapi.json``, and learns what happened from
signed webhooks. Nothing here imports the product.
"""

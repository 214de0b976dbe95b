"""Public ids: what the API shows for a row (``res_…``, ``wal_…``, ``mer_…``).

Random, never guessable counters, so an id in a URL tells nobody how many
rows there are or what the next one is.
"""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
PUBLIC_ID_CHARS = 20


def public_id(prefix: str) -> str:
    """A random public id with this prefix (e.g. ``res_``)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(PUBLIC_ID_CHARS))

"""The modelcheck catalogue: classic distributed protocols, each with flawed variants.

Every module defines one ``spec``; ``modelcheck list`` shows them all with the verdict each
configuration must produce.
"""

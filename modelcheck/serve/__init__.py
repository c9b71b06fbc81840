"""The state browser: walk a spec's state space in a web page (``modelcheck explore``).

A small HTTP server on the standard library (:mod:`modelcheck.serve.server`) answers a
JSON API that its one self-contained page uses: the initial states, each state's enabled
actions and successors, the properties evaluated there, and the counterexample a
background search finds.
"""

from modelcheck.serve.server import Browser, make_server

__all__ = ["Browser", "make_server"]

"""``modelcheck explore SPEC``: walk a spec's state space in a browser.

The state browser (:mod:`modelcheck.serve`) serves one page and its JSON API on
127.0.0.1 unless told otherwise, until Ctrl-C; it has no authentication, and it runs the
spec's code for whoever can reach it.
"""

from __future__ import annotations

from pathlib import Path

import click

from modelcheck.catalogue import load
from modelcheck.cli.common import fail, param_option, parse_params, variant_option
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.model import bind
from modelcheck.serve import Browser, make_server
from modelcheck.trace import Trace, model_for

__all__ = ["explore_cmd"]


@click.command("explore")
@click.argument("spec_ref", metavar="SPEC")
@variant_option
@param_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The explorer has no authentication and runs the "
                   "spec's code: keep it on the loopback address unless you mean otherwise.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--trace", "trace_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A saved counterexample to offer instead of searching for one.")
@click.option("--no-search", is_flag=True, help="Do not search for a counterexample.")
@click.option("--search-time", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, help="Seconds the background search may take.")
@click.option("--verbose", is_flag=True, help="Log every request on stderr.")
def explore_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...], host: str,
                port: int, trace_file: Path | None, no_search: bool, search_time: float,
                verbose: bool) -> None:
    """Walk the state space of SPEC in a browser: enabled actions, successors, the path so
    far, the properties in each state, and the counterexample when one is found."""
    try:
        spec = load(spec_ref)
        trace = Trace.load(trace_file) if trace_file is not None else None
        model = model_for(spec, trace) if trace is not None and not params and \
            variant is None else bind(spec, variant, parse_params(params))
        browser = Browser(model, trace=trace, search=not no_search, time_limit=search_time)
    except ModelcheckError as e:
        fail(e)
    try:
        server = make_server(browser, host, port, quiet=not verbose)
    except OSError as e:
        fail(UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}"))
    bound_host, bound_port = server.server_address[:2]
    text = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    shown = f"[{text}]" if ":" in text else text
    click.echo(f"modelcheck explorer for {browser.describe()['title']}: "
               f"http://{shown}:{bound_port}/  (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

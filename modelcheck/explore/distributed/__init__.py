"""Breadth-first search on a dask.distributed cluster (``--scheduler ADDRESS``).

Each Dask worker hosts one *partition*, a Dask actor that owns the states whose
fingerprint maps to it (a multiplicative mix of the 64-bit fingerprint, scaled to the
number of partitions): their fingerprints and parent links in a
:class:`~modelcheck.store.FingerprintStore`, and those of the current level as live
states in its frontier. The search is level-synchronous, so depths, counts and the
length of every counterexample are those of :mod:`~modelcheck.explore.bfs`.

One level is two rounds that the client starts on every partition at once:

1. **expand**: a partition expands its frontier chunk by chunk with the generated
   successor function of :mod:`~modelcheck.explore._codegen`, fingerprints the
   successors, drops those it already emitted in this level (and, of the ones it owns,
   those it has stored), and sends the rest to their owners in batches, *directly to
   the owning worker* (an actor-to-actor call). A batch is one ``bytes`` value:
   fingerprints (int64), parent indices (uint32), action indices (uint32), then the
   states, field by field with each distinct field value once
   (:func:`~modelcheck.explore.distributed.messages.pack`). The round ends when every batch
   is acknowledged.
2. **admit**: a partition takes its inbox in a fixed order (by sender, then batch),
   removes duplicates, tests membership, stores the new states with their parent link
   (sender partition, sender's local index, action) and checks the invariants and
   ``sometimes`` properties on them. They are its next frontier.

The client only ever receives counts and, when something is found, *where* it is: a
partition, a local index and the state. It rebuilds the trace by asking the partitions
for the parent links one step at a time and re-executing the actions from the initial
state, then re-raises the finding with the same :class:`~modelcheck.explore._base.Run`
code as single-process BFS, so violations, spec errors and their messages read alike.

**Fingerprints agree between workers** because they depend on nothing but the state
(:mod:`modelcheck.fingerprint`): no hash seed or address enters them. The search still
checks that every worker runs the same modelcheck and fingerprints a probe value and the
model's initial states alike, and otherwise stops with a
:class:`~modelcheck.errors.UsageError` that says what differs. The client never
fingerprints.

**A worker that fails ends the search with an error, never a hang.** While it waits for
a round, the client asks the scheduler every second whether each partition's worker is
still connected and still sends its heartbeats; a worker that left the cluster (it died,
or its nanny restarted it without its partition) or has sent none for
:func:`~modelcheck._watchdog.worker_timeout` seconds (it is stopped, or its machine is
gone) ends the search with a :class:`WorkerFailure` naming it. Every other wait on a
worker has a timeout.

**The spec reaches the workers as source.** The client sends the name of the module
that defines the spec, the attribute holding it and the module's source text. A worker
uses its own copy of that module when its source is identical (catalogue specs and
installed packages), and otherwise executes the shipped source as a module of the same
name (a spec loaded from a file path, or edited since the workers started). So classes
pickle by reference, under the same name, on every worker and in the client: a state in
a batch costs a pickled tuple, never a class definition. A spec defined in ``__main__``
(a script run directly, or an interactive session) cannot be shipped this way and is
refused with a message saying what to do.

The code is split by the process it runs in: :mod:`~modelcheck.explore.distributed.client`
runs in the process that checks (it connects, starts the partitions, drives the rounds
and turns findings into a result), :mod:`~modelcheck.explore.distributed.worker` in every
Dask worker (the partition actor), and two modules hold what passes between them:
:mod:`~modelcheck.explore.distributed.shipping` (the spec, and the probe of each worker)
and :mod:`~modelcheck.explore.distributed.messages` (batches of states, findings, links).
"""

from modelcheck.explore.distributed.client import WorkerFailure, explore, local_cluster

__all__ = ["WorkerFailure", "explore", "local_cluster"]

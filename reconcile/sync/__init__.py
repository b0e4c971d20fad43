"""Sync: from a match to Equify, exactly once.

* :mod:`.plan`: the push plan (creates, links, updates, skips, with why);
* :mod:`.gate`: the push gate the app, the CLI and the notebooks call;
* :mod:`.push`: the push (journal, idempotency keys, resume after a crash);
* :mod:`.targets`: where a push goes (the embedded Equify space, a file, an Equify-side HTTP endpoint).
"""

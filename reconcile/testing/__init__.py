"""Testing: the two reference servers on 127.0.0.1, for tests, benchmarks and demos (never the real hosts).

* :mod:`.payfit_server`: a Payfit-compatible API serving collaborator pages, with faults on demand;
* :mod:`.equify_server`: an Equify-side endpoint speaking the push's REST contract, with faults on demand.
"""

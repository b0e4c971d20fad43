"""The bad-input corpus (issue #13): generated files, see :mod:`tests.bad_inputs.corpus`."""

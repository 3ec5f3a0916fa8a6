"""The sub-commands the surrogate package adds to ``wordtensor`` (through the
``wordtensor.commands`` entry points): ``surrogate``, ``phase``, ``network``, ``compare`` and
``study``. Their registration imports no torch."""

"""The outside world behind small interfaces: storage, email, billing.

Each has a real implementation and an embedded/local one; configuration picks one and
nothing else in the code knows which is in use.
"""

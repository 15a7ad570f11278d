-- Every commit is synced to disk: an acknowledged change survives a power cut.
pragma synchronous = full

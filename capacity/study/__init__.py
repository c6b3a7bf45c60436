"""Everything that runs many simulations (DESIGN §2): replications, failure episodes,
fixed-replica searches, sweeps and comparisons, on local processes or a Dask cluster
(:mod:`capacity.study.executor` is the only module that knows which)."""

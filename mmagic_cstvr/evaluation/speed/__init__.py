"""Speed measurement of the engine and the plugin, as ``cstvr benchmark`` runs it.

:mod:`.workload`: the synthetic frames and the engines of one workload; :mod:`.measure`: timing,
peak memory, FLOPs, the matrix-product peak and the reduced-precision check; :mod:`.vspipe`: the
same work through ``core.cstvr.*`` (and MVTools) in a real ``vspipe``; :mod:`.table`: the results as
markdown.
"""



"""casualty-claims: compare what the sides of a war, and independent counters, say about casualties.

The modules form one chain, each importing only from those before it:
vocabulary -> errors -> load -> validate -> bounds -> dataset -> references -> (harmonise -> align -> compare ->
charts -> narrative -> report). charts is a package with its own chain: theme -> texts -> frames -> layers ->
the builders (cumulative, ratio, rates, latest). Nothing heavy happens at import time.
"""

__version__ = "0.1.0"

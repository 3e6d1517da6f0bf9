"""casualty-claims: compare what the sides of a war, and independent counters, say about casualties.

The modules form one chain, each importing only from those before it, in the order of the README's
"Layout" (tests/test_architecture.py checks the code against it): project -> vocabulary -> columns ->
errors -> arguments -> parameters -> load -> validate -> bounds -> dataset -> importers -> intervals ->
harmonise -> references -> align -> rates -> shares -> compare -> params -> views -> formatting ->
charts -> markup -> wording -> headlines -> narrative -> publish -> pages -> report -> cli. charts is a package
with its own chain: theme -> texts -> styles -> checks -> placement -> frames -> layers -> the
builders (cumulative, ratio, rates, latest); validate is one too: rules -> helper_columns -> tables ->
meta -> its __init__ (a conflict, a data directory). Nothing heavy happens at import time.
"""

__version__ = "0.1.0"

"""``samna.specksim.nodes``: not provided (see :mod:`spikegate.compat.specksim`)."""

from .._unavailable import USE_SPECKSIM, placeholders

globals().update(placeholders("samna.specksim.nodes", "SpecksimConvolutionalFilterNode SpecksimIAFFilterNode "
                                                      "SpecksimSumPoolingFilterNode", USE_SPECKSIM))

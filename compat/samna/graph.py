"""``samna.graph``: event graphs stream to and from a board; each name raises "needs a board" when used."""

from ._unavailable import placeholders

globals().update(placeholders("samna.graph", "EventFilterGraph sequential JitSource JitFilter JitMemberSelect "
                                             "JitDvsEventToViz JitSpikeCollection JitSpikeCount JitMajorityReadout"))

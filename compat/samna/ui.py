"""``samna.ui``: samna's visualizer shows a board's events; each name raises "needs a board" when used."""

from ._unavailable import placeholders

globals().update(placeholders("samna.ui", "Event Plot VisualizerConfiguration ActivityPlot ActivityPlotConfiguration "
                                          "ReadoutPlot ReadoutPlotConfiguration SpikeCountPlot "
                                          "SpikeCountPlotConfiguration PowerMeasurementPlot "
                                          "PowerMeasurementPlotConfiguration"))

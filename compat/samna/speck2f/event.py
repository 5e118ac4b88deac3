"""``samna.speck2f.event``: events as plain records (sending one anywhere needs a board)."""

from .._dynapcnn import event_classes

__all__ = ["Spike", "DvsEvent", "WriteNeuronValue", "ReadNeuronValue", "NeuronValue"]

Spike, DvsEvent, WriteNeuronValue, ReadNeuronValue, NeuronValue = event_classes(__name__)

"""``xylosim.v1``: the Xylo v1 (SYNS61300) layer of SynSense's ``xylosim``, on spikegate's ``XyloSim``.

The names and signatures are xylosim's: ``XyloSynapse(target_neuron_id, target_synapse_id, weight)``,
``XyloIAFNeuron(dash_mem, dash_syns, v_th)`` and ``XyloLayer(synapses_in, synapses_rec, synapses_out,
aliases, threshold, threshold_out, weight_shift_inp, weight_shift_rec, weight_shift_out, dash_mem,
dash_mem_out, dash_syns, dash_syns_out, name)`` with ``evolve``, ``reset_all`` and the ``rec_*`` records.
The network is validated as a Xylo v1 :class:`~spikegate.sim.xylo.XyloConfig` (``layer.config``).
"""

from ._layer import Layer, Neuron, Synapse

__all__ = ["XyloSynapse", "XyloIAFNeuron", "XyloLayer"]


class XyloSynapse(Synapse):
    __doc__ = Synapse.__doc__


class XyloIAFNeuron(Neuron):
    __doc__ = Neuron.__doc__


class XyloLayer(Layer):
    """A Xylo v1 LIF array (see the module docstring); records as xylosim's: ``rec_v_mem``, ``rec_i_syn``,
    ``rec_i_syn2`` (Nhid, T), ``rec_v_mem_out``, ``rec_i_syn_out`` (Nout, T), ``rec_i_syn2_out`` (Nout, 0),
    ``rec_recurrent_spikes`` (T, Nhid) spike counts and ``rec_out_spikes`` (T, Nout)."""

    VERSION = 1
    SYNAPSE = XyloSynapse
    NEURON = XyloIAFNeuron
    PROFILES = ("v1",)

    def __init__(self, synapses_in, synapses_rec, synapses_out, aliases, threshold, threshold_out, weight_shift_inp,
                 weight_shift_rec, weight_shift_out, dash_mem, dash_mem_out, dash_syns, dash_syns_out, name):
        self._build(synapses_in, synapses_rec, synapses_out, aliases, threshold, threshold_out, weight_shift_inp,
                    weight_shift_rec, weight_shift_out, dash_mem, dash_mem_out, dash_syns, dash_syns_out, name)

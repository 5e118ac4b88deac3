"""samna names of the Xylo boards, their event streams and front ends, which rockpool's Xylo modules bind
when they are imported: importable, and creating or calling one raises "needs a board"
(:class:`~spikegate.compat.samna.UnavailableError`). spikegate emulates the SNN core's configuration and
arithmetic, not the boards, the audio/IMU front ends or their event streams.
"""

from ._unavailable import placeholders

#: Graph nodes at the top of samna (``samna.BasicSinkNode_xylo_core2_event_output_event``...).
NODES = placeholders("samna", " ".join(
    f"BasicSinkNode_{stream}_event_output_event BasicSourceNode_{stream}_event_input_event"
    for stream in ("xylo", "xylo_core2", "xylo_imu", "xylo_audio3", "afe2"))
    + " BasicSinkNode_unifirm_modules_events_measurement DeviceSinkNode_unifirm_modules_mc3632_input_event"
      " DeviceSourceNode_unifirm_modules_mc3632_output_event")

#: The events of the SNN cores (``samna.<namespace>.event``): they travel to and from a board only.
EVENTS = ("Spike Readout TriggerProcessing TriggerReadout ReadRegisterValue WriteRegisterValue RegisterValue "
          "ReadMemoryValue WriteMemoryValue MemoryValue ReadVersion Version")


def event_placeholders(namespace: str) -> dict[str, type]:
    """The placeholder event classes of ``samna.<namespace>.event``."""
    return placeholders(f"samna.{namespace}.event", EVENTS)

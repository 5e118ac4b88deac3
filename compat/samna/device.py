"""``samna.device``: device discovery answers that no board is attached; opening one refuses."""

from ._unavailable import placeholders


def get_all_devices() -> list:
    """The boards attached: none (spikegate emulates the chips in software)."""
    return []


def get_unopened_devices() -> list:
    """The boards attached and not yet opened: none."""
    return []


globals().update(placeholders("samna.device", "open_device close_device DeviceInfo"))

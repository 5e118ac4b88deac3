"""The DYNAP-CNN cores: register configuration and event-driven / time-stepped models."""

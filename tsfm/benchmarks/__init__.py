"""Runners behind `tsfm benchmark`."""

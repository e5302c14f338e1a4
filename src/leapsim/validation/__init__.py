"""Validation against the war: replay reported nights through a theatre scenario (hindcast) and
fit its declared free parameters to the reported outcomes (calibration). See docs/validation.md.
"""

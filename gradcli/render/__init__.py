"""Renderers: functions of a report (value, gradients, graph) and of errors."""

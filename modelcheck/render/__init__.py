"""Renderings of traces and results; they read values, never explorers."""

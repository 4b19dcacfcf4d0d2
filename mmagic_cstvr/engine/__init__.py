"""The engine that runs a generator over whole clips: window planning, streaming, target
geometry, weights loading, device and precision, and CPU tuning."""

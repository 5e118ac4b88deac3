"""spikegate.converter: PyTorch and NIR models to chip register configurations."""

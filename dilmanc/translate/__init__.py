"""Translation: engines (transformers, CTranslate2), model presets, segmentation, pipeline."""

"""The skeleton encoder: ST-GCN, its training, distributed training."""

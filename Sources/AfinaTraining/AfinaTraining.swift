// Fine-tuning: optimizers, schedules, LoRA, the training loop, checkpoints.

// Training data: JSONL records in the formats people use, rendered and masked for training.

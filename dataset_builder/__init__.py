"""dataset_builder: raw articles in, a reproducible, versioned dataset release out."""

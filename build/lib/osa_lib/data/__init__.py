"""Data sets: MNIST and Fashion-MNIST (:mod:`osa_lib.data.mnist`), Oxford 17 / 102 flowers (:mod:`osa_lib.data.flowers`).

One data root for everything (``data_dir`` argument, else ``$OSA_DATA_DIR``, else ``data/``): :mod:`osa_lib.data.root`.
"""
from osa_lib.data.mnist import (CANONICAL_MD5, CLASS_NAMES, DATA_ENV, DATASETS, ClusteringData, CorruptDataError,
                                DataNotFoundError, check_idx_file, data_provenance, default_data_dir,
                                flatten_images, load_clustering_data, load_dataset, resolve_data_dir)
from osa_lib.data.splits import fixed_random_subset, subsample, train_validation_split

__all__ = ["CANONICAL_MD5", "CLASS_NAMES", "DATA_ENV", "DATASETS", "ClusteringData", "CorruptDataError",
           "DataNotFoundError", "check_idx_file", "data_provenance", "default_data_dir", "fixed_random_subset",
           "flatten_images", "load_clustering_data", "load_dataset", "resolve_data_dir", "subsample",
           "train_validation_split"]

"""Experiment runners of the LOC chapter: settings per profile, data, seed loops, scores, records.

The chapter notebook (``notebooks/loc.ipynb``) calls these and shows what they return. Every
runner returns a :class:`~osa_lib.book.records.RunResult` and writes its record with
``make_record(..., results_dir=...)``. Every choice of the chapter is made on the *validation*
images (the training split's images that have a ground-truth mask; the observer also trains on
them, without masks); the test split is scored only for Table 2.

The runners live in :mod:`osa_lib.book.loc_table2` (settings, Table 2) and
:mod:`osa_lib.book.loc_studies` (the studies, the numbers of the text); the data in
:mod:`osa_lib.data.flowers`. This module names them for the notebook.
"""
from osa_lib.book.loc_studies import (OPEN_QUESTIONS, RESULT_COLUMNS, STUDY_COLUMNS, STUDY_HEADERS, SUMMARY_COLUMNS, TRAINING_COLUMNS,
                                      chapter_numbers, data_numbers, data_table, load_chapter_records,
                                      load_record_split, many_clusters_share, open_question_variants,
                                      records_copy, rho_label, rho_study, rho_summary, study_frame, study_table,
                                      study_variants, training_curves_from_records, variant_name)
from osa_lib.book.loc_table2 import (PROGRESS_ENV, TABLE2_EXPERIMENTS, UNTRAINED_NOTE, background_share,
                                     limits_analysis, loc_kwargs, loc_settings, median_rule_table, per_image_iou,
                                     per_seed_table, per_seed_table_for_page, progress_enabled, records_per_seed_table,
                                     run_baseline,
                                     run_baselines, run_loc,
                                     run_loc_untrained, score_masks)
from osa_lib.book.profiles import LOC_PROFILES
from osa_lib.data.flowers import SegmentationData, load_segmentation_data

__all__ = ["LOC_PROFILES", "OPEN_QUESTIONS", "PROGRESS_ENV", "RESULT_COLUMNS", "STUDY_COLUMNS", "STUDY_HEADERS", "SUMMARY_COLUMNS",
           "TRAINING_COLUMNS", "data_numbers", "load_record_split", "many_clusters_share", "records_per_seed_table",
           "study_frame", "training_curves_from_records", "variant_name", "SegmentationData", "TABLE2_EXPERIMENTS",
           "UNTRAINED_NOTE", "background_share", "chapter_numbers", "data_table", "limits_analysis",
           "load_chapter_records", "load_segmentation_data", "loc_kwargs", "loc_settings", "median_rule_table",
           "open_question_variants", "per_image_iou", "per_seed_table", "per_seed_table_for_page", "progress_enabled", "records_copy",
           "rho_label",
           "rho_study", "rho_summary", "run_baseline", "run_baselines", "run_loc", "run_loc_untrained", "score_masks",
           "study_table", "study_variants"]

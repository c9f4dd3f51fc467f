"""The extra domains (osa_lib.book.domains_chapter.domains): pipelines on scikit-learn's own data sets, records, the judge's words."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.book.domains_chapter import domains


def test_domains_load_and_unknown_names_are_refused():
    X, y = domains.load_domain("sklearn_wine")
    assert X.shape == (178, 13) and X.dtype == np.float32 and set(np.unique(y)) == {0, 1, 2}
    with pytest.raises(ValueError, match="unknown domain"):
        domains.load_domain("iris")
    with pytest.raises(ValueError, match="unknown method"):
        domains.make_model("dbscan", 3, 0, 1)


def test_a_domain_run_writes_one_record_per_method_and_the_table_judges_against_kmeans(tmp_path):
    recs = domains.run_domain("sklearn_wine", profile="ci", results_dir=tmp_path, seeds=(0, 1), epochs=3)
    assert set(recs) == set(domains.METHODS)
    assert (tmp_path / "ci" / "sklearn_wine" / "shallow_acrbm.json").exists()
    assert recs["kmeans"]["params"]["n_clusters"] == 3 and recs["ae_acrbm"]["params"]["reading"].startswith("sum")
    table = domains.domain_table({"sklearn_wine": recs})
    assert list(table["method"]) == ["K-means", "shallow ACRBM", "AE + ACRBM"]
    assert table.loc[0, "accuracy against K-means"] == "—"
    assert table.loc[1, "accuracy against K-means"].split(":")[0] in ("above", "below", "indistinguishable")
    assert "Against K-means" in domains.answer_sentence({"sklearn_wine": recs})

"""The parameter layer (osa_lib.book.harness.parameters): one declaration per chapter parameter."""
from pathlib import Path

import pytest

from osa_lib.book.harness import parameters as P
from osa_lib.book.harness.parameters import ParameterError, check_parameters
from osa_lib.book.provenance.records import committed_records, records_folder

ROOT = Path(__file__).resolve().parents[1]


def _notebook_parameters(path):
    import papermill as pm
    return pm.inspect_notebook(str(path))


@pytest.mark.parametrize("name", sorted(P.CHAPTERS))
def test_the_parameters_cell_declares_exactly_the_layers_parameters(name):
    """``papermill --help-notebook`` reads the cell: same names, same defaults, a comment on each."""
    pytest.importorskip("papermill")
    chapter = P.CHAPTERS[name]
    found = _notebook_parameters(ROOT / chapter.notebook)
    assert list(found) == [p.name for p in chapter.params]
    for p in chapter.params:
        assert eval(found[p.name]["default"]) == p.default, p.name
        assert found[p.name]["help"], f"{name}: {p.name} has no comment for --help-notebook"


@pytest.mark.parametrize("name", sorted(P.CHAPTERS))
def test_the_parameters_cell_is_generated_from_the_declarations(name):
    """Declared once: ``python -m osa_lib.book.harness.parameters`` rewrites the cells from the declarations."""
    import nbformat
    nb = nbformat.read(ROOT / P.CHAPTERS[name].notebook, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source == P.parameters_cell(name), "run: python -m osa_lib.book.harness.parameters"


@pytest.mark.parametrize("name", sorted(P.CHAPTERS))
def test_the_cell_after_parameters_calls_the_layer(name):
    import nbformat
    nb = nbformat.read(ROOT / P.CHAPTERS[name].notebook, as_version=4)
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    assert f'check_parameters("{name}", globals())' in nb.cells[i + 1].source.splitlines()[0]


def _defaults(name, **changes):
    values = {p.name: p.default for p in P.CHAPTERS[name].params}
    values.update(changes)
    return values


def test_lists_arrive_as_papermill_strings_yaml_or_python(tmp_path):
    for given in ("[10, 20, 50]", "10, 20, 50", "10 20 50", [10, 20, 50], (10, 20, 50), "[10, 20.0, 50]"):
        out = check_parameters("shallow_acrbm", _defaults("shallow_acrbm", cluster_sizes=given,
                                                          results_dir=str(tmp_path)))
        assert out["cluster_sizes"] == [10, 20, 50], given
    out = check_parameters("shallow_acrbm", _defaults("shallow_acrbm", seeds="0", results_dir=str(tmp_path)))
    assert out["seeds"] == [0]
    out = check_parameters("loc", _defaults("loc", rho_values="[0.3, 0.5]", progress="True",
                                            results_dir=str(tmp_path)))
    assert out["rho_values"] == [0.3, 0.5] and out["progress"] is True
    assert P.convert(P.Param("x", "dict", None, "m", optional=True), "{'a': 1}") == {"a": 1}
    assert P.convert(P.Param("x", "dict", None, "m", optional=True), "a: 1") == {"a": 1}


@pytest.mark.parametrize("name, change, words", [
    ("shallow_acrbm", {"dataset": "cifar10"}, ["'dataset'", "'cifar10'", "'mnist', 'fashion_mnist'"]),
    ("shallow_acrbm", {"cluster_sizes": "[1, 10]"}, ["'cluster_sizes'", "[1, 10]", ">= 2"]),
    ("shallow_acrbm", {"cluster_sizes": "[]"}, ["'cluster_sizes'", "empty"]),
    ("shallow_acrbm", {"epochs": 0}, ["'epochs'", "0", ">= 1"]),
    ("ae_acrbm", {"epochs": -3}, ["'epochs'", "-3", ">= 1"]),
    ("shallow_acrbm", {"n_train": 70000}, ["'n_train'", "70000", "60,000", "[100, 60000]"]),
    ("loc", {"n_test": 999}, ["'n_test'", "999", "254"]),
    ("loc", {"rho": 1.5}, ["'rho'", "1.5", "<= 1"]),
    ("derivations", {"seed": "abc"}, ["'seed'", "'abc'", "integer"]),
    ("shallow_acrbm", {"device": "gpu"}, ["'device'", "'gpu'", "'cuda'"]),
    ("shallow_acrbm", {"profile": "full"}, ["'profile'", "'full'", "'ci', 'paper'"]),
])
def test_an_invalid_value_names_parameter_value_and_what_is_allowed(tmp_path, name, change, words):
    with pytest.raises(ParameterError) as err:
        check_parameters(name, _defaults(name, results_dir=str(tmp_path), **change))
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_sizes_from_the_profile_are_clamped_to_the_data(tmp_path):
    out = check_parameters("ae_acrbm", _defaults("ae_acrbm", n_train=2000, results_dir=str(tmp_path)))
    assert out["search_n_val"] == 500 and out["search_n_fit"] == 1500
    out = check_parameters("ae_acrbm", _defaults("ae_acrbm", results_dir=str(tmp_path)))
    assert (out["search_n_fit"], out["search_n_val"]) == (5000, 2000)         # the ci profile, untouched
    with pytest.raises(ParameterError, match="search_n_fit"):
        check_parameters("ae_acrbm", _defaults("ae_acrbm", n_train=2000, search_n_val=1900, search_n_fit=1000,
                                               results_dir=str(tmp_path)))
    out = check_parameters("derivations", _defaults("derivations", n_train=600, results_dir=str(tmp_path)))
    assert out["ae_rows"] == 600
    out = check_parameters("shallow_acrbm", _defaults("shallow_acrbm", n_test=200, results_dir=str(tmp_path)))
    assert out["tsne_points"] == 200


def test_the_linear_autoencoders_latent_size_stays_below_their_rows(tmp_path):
    """Eq 4-7 need D < ae_rows (else the best rank-D reconstruction is exact): the profile's 32 is clamped,
    a given D is checked (was: ``linear_ae_study`` raised "n_latent must be an integer in [1, 20]" mid-chapter)."""
    out = check_parameters("derivations", _defaults("derivations", ae_rows=20, results_dir=str(tmp_path)))
    assert out["n_latent"] == 19
    out = check_parameters("derivations", _defaults("derivations", ae_rows=2, results_dir=str(tmp_path)))
    assert out["n_latent"] == 1
    out = check_parameters("derivations", _defaults("derivations", ae_rows=20, n_latent=19, results_dir=str(tmp_path)))
    assert out["n_latent"] == 19
    assert check_parameters("derivations", _defaults("derivations", results_dir=str(tmp_path)))["n_latent"] == 32
    for given in ("32", 20):
        with pytest.raises(ParameterError) as err:
            check_parameters("derivations", _defaults("derivations", ae_rows=20, n_latent=given,
                                                      results_dir=str(tmp_path)))
        for word in (f"n_latent = {given}", "20 training rows", "ae_rows", "[1, ae_rows - 1]"):
            assert word in str(err.value)


def test_the_recipe_search_split_takes_the_clamped_sizes(make_clusters):
    from osa_lib.data import train_validation_split
    X, y = make_clusters(2000)
    out = check_parameters("ae_acrbm", _defaults("ae_acrbm", n_train=2000, results_dir="/nonexistent"))
    X_fit, _, X_val, _ = train_validation_split(X, y, out["search_n_val"], n_fit=out["search_n_fit"])
    assert len(X_fit) + len(X_val) == 2000


def test_committed_records_are_not_overwritten():
    """results/paper/mnist holds committed records: a paper run there refuses and names -p results_dir."""
    results = ROOT / "results"
    if not committed_records(records_folder(results, "paper", "mnist")):
        pytest.skip("no git work tree with committed records")
    for name in ("shallow_acrbm", "ae_acrbm", "derivations"):
        with pytest.raises(ParameterError, match="-p results_dir") as err:
            check_parameters(name, _defaults(name, profile="paper", results_dir=str(results)))
        assert "-p overwrite True" in str(err.value)
        check_parameters(name, _defaults(name, profile="paper", results_dir=str(results), overwrite=True))
        check_parameters(name, _defaults(name, profile="ci", results_dir=str(results)))   # results/ci: not committed


def test_describe_gives_every_parameter_with_both_profiles():
    table = P.describe("shallow_acrbm")
    assert list(table["parameter"]) == [p.name for p in P.CHAPTERS["shallow_acrbm"].params]
    row = table.set_index("parameter").loc["n_train"]
    assert row["ci profile"] == "20000" and row["paper profile"] == "None"


@pytest.mark.parametrize("given, expected", [("[0, 1]", [0, 1]), ("0, 1", [0, 1]), ("0 1", [0, 1]), ("(0.5,)", [0.5]),
                                             ("- 3\n- 4", [3, 4]), (7, [7]), ((1, 2), [1, 2])])
def test_as_sequence_reads_every_way_a_list_arrives(given, expected):
    from osa_lib.book.harness.parameter_types import as_sequence

    assert as_sequence(given) == expected


@pytest.mark.parametrize("settings", ["shallow", "ae", "loc"])
def test_every_chapters_settings_read_list_strings_through_the_one_rule(settings):
    """Library callers get the parameter layer's list rule too: no tuple of characters from "[0, 1]"."""
    from osa_lib.book.ae_chapter import ae_runs
    from osa_lib.book.loc_chapter import loc_table2
    from osa_lib.book.shallow_chapter import shallow_runs

    make = {"shallow": shallow_runs.clustering_settings, "ae": ae_runs.ae_settings, "loc": loc_table2.loc_settings}
    assert make[settings]("ci", seeds="[0, 1]")["seeds"] == (0, 1)
    with pytest.raises(ValueError, match="seeds must be a list of numbers"):
        make[settings]("ci", seeds="[0, 1")

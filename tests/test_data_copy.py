"""Which data copy produced a record (osa_lib.book.provenance.data_copy): both provenance shapes, and the build's own copy."""
from osa_lib.book.provenance.data_copy import canonical_flags, copy_words, data_copy_sentence, same_copy

NEW = {"files": {"train-images-idx3-ubyte": {"sha256": "aa" * 32, "canonical": False},
                 "t10k-images-idx3-ubyte": {"sha256": "bb" * 32, "canonical": True}}}
OLD = {"sha256": {"train-images-idx3-ubyte": "aa" * 8, "t10k-images-idx3-ubyte": "bb" * 8}}
OFFICIAL = {"files": {"train-images-idx3-ubyte": {"sha256": "cc" * 32, "canonical": True},
                      "t10k-images-idx3-ubyte": {"sha256": "bb" * 32, "canonical": True}}}


def test_flags_come_from_the_record_or_from_a_known_copy_with_the_same_digests():
    assert canonical_flags(NEW) == {"train-images-idx3-ubyte": False, "t10k-images-idx3-ubyte": True}
    assert canonical_flags(OLD, [NEW]) == canonical_flags(NEW)
    assert canonical_flags(OLD) == {"train-images-idx3-ubyte": None, "t10k-images-idx3-ubyte": None}


def test_words_say_rebuilt_official_or_unknown():
    assert copy_words("mnist", NEW).startswith("rebuilt train-images-idx3-ubyte (the official archive")
    assert copy_words("fashion_mnist", OFFICIAL) == "official (canonical) files"
    assert copy_words("mnist", None) == "not recorded"
    assert "not identified" in copy_words("mnist", OLD)


def test_the_page_says_when_the_build_reads_another_copy():
    assert same_copy(OLD, NEW) and not same_copy(NEW, OFFICIAL) and same_copy(None, NEW) is None
    same = data_copy_sentence("mnist", [{"data": OLD}, {"data": NEW}], NEW)
    assert "rebuilt" in same and "this build read the same copy" in same
    other = data_copy_sentence("mnist", [{"data": NEW}], OFFICIAL)
    assert "this build read a different copy (official (canonical) files)" in other
    assert "no record" in data_copy_sentence("mnist", [{}], NEW)

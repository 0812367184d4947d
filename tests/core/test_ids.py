from collections import Counter

from autosales.core.ids import ALPHABET, public_id, random_code


def test_a_code_has_its_length_in_the_unambiguous_alphabet():
    for length in (1, 10, 16, 40):
        code = random_code(length)
        assert len(code) == length and set(code) <= set(ALPHABET)
    identifier = public_id()
    assert len(identifier) == 16 and identifier == identifier.lower()


def test_codes_use_every_character_and_do_not_repeat():
    codes = [random_code(10) for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    seen = Counter("".join(codes))
    # 20,000 characters over 32: each appears about 625 times; none is left out or favoured several times over.
    assert set(seen) == set(ALPHABET)
    assert max(seen.values()) < 2 * min(seen.values())
